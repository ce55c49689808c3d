"""The verdicts tools/headline_experiment.py writes next to its tables."""
import sys

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / 'tools'))
from headline_experiment import (  # noqa: E402
    MODELS,
    compare,
    parse_args,
    report,
    research_setting,
    schedule_options,
)


def _record(model, seed, total, occluded=40.0):
    return dict(key=f'a/{model}/seed{seed}', set='a', model=model, variant='', seed=seed,
                total_ap=total,
                occluded_ap=occluded, minutes=1.0, curve=[(1, total, occluded)])


def test_a_gap_inside_the_seed_spread_is_no_difference():
    # Means differ by 1.0, but each model's seeds spread by 2.0.
    assert 'no difference' in compare([70.0, 72.0, 74.0], [69.0, 71.0, 73.0], [1.0] * 3)


def test_a_gap_beyond_the_seed_spread_has_a_winner():
    assert 'first better' in compare([75.0, 76.0, 77.0], [70.0, 71.0, 72.0], [5.0] * 3)
    assert 'second better' in compare([70.0, 71.0, 72.0], [75.0, 76.0, 77.0], [-5.0] * 3)


def test_fewer_than_three_seeds_gives_no_verdict():
    verdict = compare([80.0, 81.0], [60.0, 61.0, 62.0], [20.0, 20.0])
    assert 'too few seeds' in verdict and 'better' not in verdict


def test_report_pairs_models_by_seed():
    results = {}
    for seed, (headline, stdpose) in enumerate([(70.0, 73.0), (72.0, 74.0), (68.0, 73.5)]):
        for model, score in (('headline', headline), ('stdpose', stdpose)):
            record = _record(model, seed, score)
            results[record['key']] = record
    page = report(results, 'runs.jsonl')
    row = next(line for line in page.splitlines() if line.startswith('| headline vs stdpose'))
    # Paired differences -3.0, -2.0, -5.5: mean -3.5; the means differ by 3.5 > spread 2.0.
    assert '-3.5 +- 1.8 (n=3)' in row and 'stdpose better' in row


def test_train_fit_averages_the_last_epoch_only(tmp_path):
    import json

    from stdpose_mm.apis.experiments import read_train_fit

    scalars = tmp_path / 'run' / '20261202_000000' / 'vis_data' / 'scalars.json'
    scalars.parent.mkdir(parents=True)
    lines = [dict(epoch=1, iter=10, step=10, loss_kpt=9.0, acc_pose=0.1),
             dict(epoch=2, iter=20, step=20, loss_kpt=2.0, acc_pose=0.5),
             dict(epoch=2, iter=30, step=30, loss_kpt=4.0, acc_pose=0.7),
             {'posetrack/Total AP': 50.0, 'step': 2}]
    scalars.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    fit = read_train_fit(str(tmp_path / 'run'))
    assert fit == {'loss_kpt': 3.0, 'acc_pose': 0.6}
    assert read_train_fit(str(tmp_path / 'missing')) == {}


def test_a_longer_schedule_is_its_own_setting_with_the_cosine_stretched():
    from mmengine.config import Config

    assert schedule_options(MODELS['single'], 1) == []
    for model, epochs in (('single', 12), ('single-batch80', 60), ('headline', 12)):
        cfg = Config.fromfile(str(REPO_ROOT / MODELS[model]))
        cfg.merge_from_dict(dict(option.split('=') for option in
                                 schedule_options(str(REPO_ROOT / MODELS[model]), 2)))
        assert int(cfg.train_cfg.max_epochs) == epochs, model
        assert int(cfg.param_scheduler[1].T_max) == epochs, model
        assert cfg.param_scheduler[1].type == 'CosineAnnealingLR', model
    # Runs of another schedule never count for (or resume) the base setting.
    assert research_setting(2) != research_setting(1)
    args = parse_args(['--schedule-scale', '2', '--report-only'])
    assert args.results.endswith('headline_runs_x2.jsonl') and args.work_dir.endswith('_x2')
    assert parse_args([]).results.endswith('headline_runs.jsonl')


def test_a_longer_schedule_is_compared_with_the_base_at_the_same_seeds():
    from headline_experiment import schedule_report

    base, longer = {}, {}
    # Base: 3 seeds; the longer schedule has seeds 0 and 1 only, so seed 2 must not count.
    for seed, (headline, stdpose) in enumerate([(70.0, 73.0), (72.0, 74.0), (50.0, 90.0)]):
        for model, score in (('headline', headline), ('stdpose', stdpose)):
            record = _record(model, seed, score)
            base[record['key']] = record
    for seed, (headline, stdpose) in enumerate([(76.0, 75.0), (80.0, 77.0)]):
        for model, score in (('headline', headline), ('stdpose', stdpose)):
            record = _record(model, seed, score, occluded=45.0)
            longer[record['key']] = record
    page = schedule_report(base, longer, 3)
    row = next(line for line in page.splitlines() if line.startswith('| a | headline |'))
    # Seeds 0, 1: x1 71.0 +- 1.4, x3 78.0 +- 2.8, paired gains +6 and +8.
    assert '71.0 +- 1.4 (n=2)' in row and '78.0 +- 2.8 (n=2)' in row
    assert '7.0 +- 1.4 (n=2)' in row and '5.0 +- 0.0 (n=2)' in row
    pair = next(line for line in page.splitlines()
                if line.startswith('| a | headline - stdpose |'))
    # headline - stdpose at the same seeds: x1 -3.0, -2.0; x3 +1.0, +3.0.
    assert '-2.5 +- 0.7 (n=2)' in pair and '2.0 +- 1.4 (n=2)' in pair
    # A model without runs at the longer schedule has no row.
    assert schedule_report(base, {}, 3).count('| a |') == 0


def test_late_gain_reads_the_last_quarter_of_the_curve():
    from stdpose_mm.apis.experiments import late_gain

    assert late_gain([float(epoch) for epoch in range(1, 9)]) == 2.0  # epoch 8 - epoch 6
    flat = [(1, 50.0, 0.0), (2, 70.0, 0.0), (3, 71.0, 0.0), (4, 71.0, 0.0)]
    assert late_gain([point[1] for point in flat]) == 0.0  # epoch 4 minus epoch 3
    page = report({'a/stdpose/seed0': dict(_record('stdpose', 0, 71.0), curve=flat)}, 'r')
    row = next(line for line in page.splitlines() if line.startswith('| stdpose |'))
    assert '| 0.0 (n=1) |' in row


def test_the_train_fit_recorded_with_a_run_outlives_its_work_dir():
    # Results files are committed, work dirs are not: the report must not need them.
    results = {}
    for seed, loss in enumerate((0.002, 0.003, 0.004)):
        record = dict(_record('stdpose', seed, 70.0 + seed),
                      train_fit=dict(loss_kpt=loss, acc_pose=0.5))
        results[record['key']] = record
    page = report(results, 'runs.jsonl', work_dir='/nonexistent')
    row = next(line for line in page.splitlines() if line.startswith('| stdpose |'))
    assert '3.00 +- 1.00 (n=3)' in row and '50.0 +- 0.0 (n=3)' in row
    assert 'Pearson r' in page


def test_a_run_of_an_edited_model_config_no_longer_counts(tmp_path, monkeypatch):
    """A recorded run counts only while its model's config (with its ``_base_`` files and
    ablation switches) is what it was trained with; runs recorded without that digest
    are checked against the research base only."""
    import json

    import headline_experiment as experiment

    (tmp_path / 'configs').mkdir()
    base, leaf = tmp_path / 'configs' / 'base.py', tmp_path / 'configs' / 'leaf.py'
    base.write_text('model = dict(depth=2)\n')
    leaf.write_text("_base_ = ['base.py']\n")
    monkeypatch.setattr(experiment, 'REPO_ROOT', str(tmp_path))
    monkeypatch.setitem(experiment.MODELS, 'headline', 'configs/leaf.py')
    experiment.config_setting.cache_clear()
    trained = dict(_record('headline', 0, 70.0), setting=research_setting(1),
                   config_setting=experiment.config_setting('headline'))
    legacy = dict(_record('headline', 1, 71.0), setting=research_setting(1))
    results = tmp_path / 'runs.jsonl'
    results.write_text(json.dumps(trained) + '\n' + json.dumps(legacy) + '\n')
    assert set(experiment.load_results(str(results))) == {'a/headline/seed0', 'a/headline/seed1'}

    base.write_text('model = dict(depth=3)\n')  # the model changed after seed 0 was trained
    experiment.config_setting.cache_clear()
    assert set(experiment.load_results(str(results))) == {'a/headline/seed1'}
    experiment.config_setting.cache_clear()
