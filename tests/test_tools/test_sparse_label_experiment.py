"""tools/sparse_label_experiment.py end to end on a tiny set, one iteration per training."""
from .e2e_utils import run_tool

SMOKE_OPTIONS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')] + ['default_hooks.logger.interval=1']


def test_one_command_runs_protocols_methods_and_retraining(tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool(
        'sparse_label_experiment.py', '--work-dir', str(work_dir), '--data-dir',
        str(tmp_path / 'data'), '--videos', '2', '1', '--frames', '8', '--train-samples', '2',
        '--propagation-epochs', '1', '--estimator-epochs', '1', '--num-workers', '0',
        '--protocols', '7', '--methods', 'interpolate', 'bidirectional-labelled',
        '--pseudo-methods', 'bidirectional-labelled', '--retrain-protocol', '7',
        '--cfg-options', *SMOKE_OPTIONS, timeout=1100)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = (work_dir / 'table.md').read_text()
    assert "every 7th frame labelled (PoseWarper's protocol)" in table
    assert 'hidden labels of the val videos' in table
    assert '| (b) linear interpolation |' in table
    assert '| (e) bidirectional model, labelled targets only |' in table
    assert 'd=1 |' in table  # AP by distance to the nearest label
    assert '+ pseudo-labels (e) bidirectional' in table and '| 100% labels |' in table
    assert 'val Total AP per epoch' in table  # every retraining shows its val curve
    stride_dir = work_dir / 'synthetic' / 'stride7'
    assert (stride_dir / 'val_bidirectional-labelled_ap.json').is_file()
    assert (stride_dir / 'pseudo_bidirectional-labelled.json').is_file()


def test_propagation_table_spreads_a_model_over_its_seeds():
    import sys

    from tests.conftest import REPO_ROOT
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    from sparse_label_experiment import propagation_run_name, propagation_table

    def metrics(total, occluded, d1):
        return {'all': {'Total': total}, 'occluded': {'Total': occluded},
                'by_distance': {'1': {'all': {'Total': d1}, 'occluded': {'Total': d1 - 1},
                                      'num_frames': 6}}}

    results = {'interpolate': {'runs': [metrics(90.0, 80.0, 95.0)]},
               'bidirectional': {'runs': [metrics(92.0, 82.0, 96.0),
                                          metrics(94.0, 86.0, 98.0)]}}
    lines = propagation_table('synthetic', 4, results)
    model = next(line for line in lines if line.startswith('| (d) bidirectional model |'))
    # Two training seeds: mean +- sample std; by distance the mean (all / occluded).
    assert '93.0 +- 1.4 (n=2)' in model and '84.0 +- 2.8 (n=2)' in model
    assert '97.0 / 96.0' in model
    assert '90.0 (n=1)' in next(line for line in lines if '(b) linear' in line)
    # Seed 0 keeps the plain name, so earlier single-seed runs are reused.
    assert propagation_run_name('bidirectional', 0) == 'bidirectional'
    assert propagation_run_name('bidirectional', 2) == 'bidirectional_seed2'
