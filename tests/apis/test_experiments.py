"""stdpose_mm.apis.experiments: the one train -> test -> metrics path of the tools."""
import json
import sys
from pathlib import Path

import pytest

from stdpose_mm.apis.experiments import (
    data_root_options,
    epoch_options,
    read_test_metrics,
    train_and_test,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _write_test_run(test_dir: Path, timestamp: str, metrics: dict) -> None:
    """The layout ``tools/test.py`` leaves: ``<timestamp>/<timestamp>.json`` (+ vis_data)."""
    run_dir = test_dir / timestamp
    (run_dir / 'vis_data').mkdir(parents=True)
    (run_dir / f'{timestamp}.json').write_text(json.dumps(metrics))
    (run_dir / 'vis_data' / 'config.json').write_text('{}')


def test_read_test_metrics_takes_the_latest_run_without_prefix(tmp_path):
    _write_test_run(tmp_path, '20260101_000000', {'posetrack/Total AP': 10.0})
    _write_test_run(tmp_path, '20260102_000000', {
        'posetrack/Total AP': 61.5, 'posetrack/Total AP_occluded': 40.25,
        'posetrack/Head AP': 70.0, 'data_time': 0.1, 'time': 0.2})
    assert read_test_metrics(str(tmp_path)) == {
        'Total AP': 61.5, 'Total AP_occluded': 40.25, 'Head AP': 70.0}


def test_read_test_metrics_without_a_run_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        read_test_metrics(str(tmp_path))


def test_seed_spread_is_the_sample_std():
    from stdpose_mm.apis.experiments import mean_std

    # Every table reports the same spread: ddof 1 (the population std would be 0.8).
    assert mean_std([1.0, 2.0, 3.0]) == '2.0 +- 1.0 (n=3)'
    assert mean_std([70.25], digits=2) == '70.25 (n=1)'
    assert mean_std([]) == 'n/a'


def test_options_are_those_the_tools_passed():
    assert sorted(epoch_options(3)) == ['param_scheduler.1.T_max=3', 'train_cfg.max_epochs=3',
                                        'train_cfg.val_interval=3']
    # A val curve keeps the config's interval; the schedule still stretches.
    assert sorted(epoch_options(3, validate_at_end=False)) == [
        'param_scheduler.1.T_max=3', 'train_cfg.max_epochs=3']
    assert data_root_options('data/x') == [
        'train_dataloader.dataset.data_root=data/x/', 'val_dataloader.dataset.data_root=data/x/',
        'test_dataloader.dataset.data_root=data/x/',
        'val_evaluator.ann_file=data/x/annotations/posetrack18_val.json',
        'test_evaluator.ann_file=data/x/annotations/posetrack18_val.json']
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    try:
        from run_ablation import overrides
    finally:
        sys.path.remove(str(REPO_ROOT / 'tools'))
    assert overrides('data/x', 3) == data_root_options('data/x') + epoch_options(3)
    assert overrides(None, None) == []


def test_train_and_test_reuses_finished_metrics(tmp_path):
    work_dir = tmp_path / 'run'
    work_dir.mkdir()
    (work_dir / 'test_metrics.json').write_text(json.dumps({'Total AP': 1.0}))
    # skip_done: no training, no test (the config does not even exist).
    assert train_and_test('missing.py', str(work_dir), skip_done=True) == {'Total AP': 1.0}


def test_every_config_reads_the_same_every_time():
    """A config's effective settings are the same in every process and checkout: MMEngine
    substitutes ``{{_base_.x}}`` through a random placeholder, which survives (and breaks
    the value) where the substituted name is concatenated, e.g. ``data_root + 'ann.json'``.
    Such a config points its evaluator at a file that does not exist, and its
    :func:`config_identity` (a recorded run's setting) never matches again."""
    from stdpose_mm.apis.experiments import config_identity

    unstable = [str(path.relative_to(REPO_ROOT))
                for path in sorted((REPO_ROOT / 'configs').rglob('*.py'))
                if config_identity(str(path)) != config_identity(str(path))]
    assert unstable == []
