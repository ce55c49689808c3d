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


def test_recorded_runs_add_up_across_machines(tmp_path, monkeypatch):
    """A run recorded in --results with the same setting is never trained again, even with
    the work dir gone (a new machine); pseudo-labels are made only for retraining still to do;
    a changed setting trains again."""
    import json
    import shutil
    import sys

    from tests.conftest import REPO_ROOT
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    import sparse_label_experiment as experiment

    calls = []

    def fake_train_and_test(config, work_dir, options, skip_done=False):
        calls.append(('train', work_dir))
        return {'Total AP': 50.0, 'Total AP_occluded': 40.0, 'train_minutes': 1.0,
                'checkpoint': work_dir + '/epoch_1.pth'}

    def fake_propagate(command, log_file, **kwargs):
        out = command[command.index('--out') + 1]
        calls.append(('propagate', out))
        scores = {'all': {'Total': 90.0}, 'occluded': {'Total': 80.0},
                  'by_distance': {'1': {'all': {'Total': 91.0}, 'occluded': {'Total': 81.0},
                                        'num_frames': 4}}}
        with open(command[command.index('--eval-out') + 1], 'w') as f:
            json.dump(scores, f)

    monkeypatch.setattr(experiment, 'train_and_test', fake_train_and_test)
    monkeypatch.setattr(experiment, 'run', fake_propagate)
    monkeypatch.setattr(experiment, 'ensure_set', lambda args, name: 'data/unused/')
    monkeypatch.setattr(experiment, 'label_fraction', lambda data_root, stride: 3.75)
    monkeypatch.setattr(experiment, 'read_val_curve', lambda work_dir: [
        {experiment.TOTAL_AP: total} for total in (40.0, 45.0, 48.0, 50.0)])
    work_dir, results = tmp_path / 'work', tmp_path / 'runs.jsonl'
    argv = ['--work-dir', str(work_dir), '--results', str(results), '--methods', 'interpolate',
            'bidirectional', '--retrain-model', 'temporal', '--propagation-epochs', '1']

    experiment.main(argv + ['--estimator-epochs', '2'])
    first_table = (work_dir / 'table.md').read_text()
    # Whether a run converged: the AP its last quarter of epochs added (50 - 48).
    assert '| 100% labels | 2 | 50.0 (n=1) | 40.0 (n=1) | 2.0 (n=1) |' in first_table
    assert ('propagate', str(work_dir / 'synthetic/stride4/pseudo_bidirectional.json')) in calls
    # 2 propagators + 3 retraining rows (labels, + pseudo-labels, 100%), one seed each
    assert len(results.read_text().splitlines()) == 5

    shutil.rmtree(work_dir)  # a new machine: only the committed results file is left
    calls.clear()
    experiment.main(argv + ['--estimator-epochs', '2'])
    assert calls == []
    assert (work_dir / 'table.md').read_text() == first_table

    shutil.rmtree(work_dir)
    calls.clear()
    experiment.main(argv + ['--estimator-epochs', '3'])  # another setting of the retraining
    trained = [work for kind, work in calls if kind == 'train']
    assert sum('/retrain/' in work for work in trained) == 3
    # The pseudo-labels are needed again, so their propagator is trained again and they are
    # written, but its val scores are reused.
    assert str(work_dir / 'synthetic/stride4/bidirectional') in trained
    propagated = [out for kind, out in calls if kind == 'propagate']
    assert propagated == [str(work_dir / 'synthetic/stride4/pseudo_bidirectional.json')]
    assert len(results.read_text().splitlines()) == 8


def test_train_rows_splits_the_retraining_between_processes(tmp_path, monkeypatch):
    """--train-rows trains only the rows named; the others print what is recorded (or "not
    run"), so two processes or sessions can share one retraining table."""
    import sys

    from tests.conftest import REPO_ROOT
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    import sparse_label_experiment as experiment

    trained = []

    def fake_train_and_test(config, work_dir, options, skip_done=False):
        trained.append(work_dir)
        return {'Total AP': 50.0, 'Total AP_occluded': 40.0, 'train_minutes': 1.0,
                'checkpoint': work_dir + '/epoch_1.pth'}

    def fake_propagate(command, log_file, **kwargs):
        raise AssertionError(f'no propagation expected: {command}')

    monkeypatch.setattr(experiment, 'train_and_test', fake_train_and_test)
    monkeypatch.setattr(experiment, 'run', fake_propagate)
    monkeypatch.setattr(experiment, 'ensure_set', lambda args, name: 'data/unused/')
    monkeypatch.setattr(experiment, 'label_fraction', lambda data_root, stride: 3.75)
    monkeypatch.setattr(experiment, 'read_val_curve', lambda work_dir: [
        {experiment.TOTAL_AP: 50.0}])
    work_dir, results = tmp_path / 'work', tmp_path / 'runs.jsonl'
    # Interpolation needs no training, so a row of its pseudo-labels would still propagate;
    # the rows trained here need no pseudo-labels at all.
    argv = ['--work-dir', str(work_dir), '--results', str(results), '--methods', 'copy',
            '--pseudo-methods', 'copy', '--retrain-model', 'temporal', '--equal-iters',
            '--estimator-epochs', '2', '--train-rows']
    monkeypatch.setattr(experiment, 'propagate', lambda *args, **kwargs: {})
    monkeypatch.setattr(experiment, 'propagation_table', lambda *args: [])

    experiment.main(argv + ['labels', 'full'])
    assert [w.split('/')[-1] for w in trained] == ['labels_e2_seed0', 'full_e2_seed0']
    table = (work_dir / 'table.md').read_text()
    assert '| 26.7% labels, equal iterations | 8 | not run |' in table
    assert '| 100% labels | 2 | 50.0 (n=1) |' in table

    trained.clear()
    experiment.main(argv + ['equal-iters'])
    assert [w.split('/')[-1] for w in trained] == ['labels_e8_seed0']
    table = (work_dir / 'table.md').read_text()
    assert '| 26.7% labels, equal iterations | 8 | 50.0 (n=1) |' in table
    assert '| 26.7% labels | 2 | 50.0 (n=1) |' in table  # recorded by the first process
    assert '+ pseudo-labels (a) copy nearest labelled pose | 2 | not run |' in table


def test_a_recorded_run_is_not_reused_after_its_base_config_changed(tmp_path, monkeypatch):
    """The setting of a run covers the ``_base_`` files its config inherits, not only the
    config's own text; a comment changes nothing."""
    import sys

    from tests.conftest import REPO_ROOT
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    import sparse_label_experiment as experiment

    (tmp_path / 'configs').mkdir()
    base, leaf = tmp_path / 'configs' / 'base.py', tmp_path / 'configs' / 'leaf.py'
    base.write_text('train_cfg = dict(max_epochs=6)\n')
    leaf.write_text("_base_ = ['base.py']\nmodel = dict(type='Propagator')\n")
    monkeypatch.setattr(experiment, 'REPO_ROOT', str(tmp_path))
    monkeypatch.setitem(experiment.PROPAGATORS, 'bidirectional',
                        ('(d) bidirectional model', 'configs/leaf.py', []))
    args = experiment.parse_args(['--methods', 'bidirectional'])

    def setting():
        return experiment.propagation_plan(args, 'synthetic', 'data/x/', 4, 'bidirectional',
                                           0)['setting']

    first = setting()
    leaf.write_text('# a comment\n' + leaf.read_text())
    assert setting() == first
    base.write_text('train_cfg = dict(max_epochs=7)\n')
    assert setting() != first


def test_a_pseudo_label_row_is_reused_from_another_work_dir(monkeypatch):
    """A pseudo-label row's setting names its propagator, not where ``--work-dir`` put the
    pseudo-label file: a rerun from another work dir (another process, machine or session)
    reuses the recorded run; each run still reads its own work dir's file."""
    import sys

    from tests.conftest import REPO_ROOT
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    import sparse_label_experiment as experiment

    monkeypatch.setattr(experiment, 'label_fraction', lambda data_root, stride: 3.75)

    def pseudo_run(work_dir):
        args = experiment.parse_args([
            '--work-dir', work_dir, '--retrain-model', 'temporal', '--methods',
            'bidirectional-labelled', '--pseudo-methods', 'bidirectional-labelled',
            '--estimator-epochs', '2'])
        plan = experiment.retrain_plan(args, 'synthetic', 'data/x/', 4)
        return next(runs[0] for _, runs in plan.values() if runs[0]['pseudo_method'])

    first, second = pseudo_run('work_dirs/a'), pseudo_run('work_dirs/b')
    assert first['setting'] == second['setting']
    assert ('train_dataloader.dataset.pseudo_label_file=work_dirs/b/synthetic/stride4/'
            'pseudo_bidirectional-labelled.json') in second['options']
