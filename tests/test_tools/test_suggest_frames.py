"""tools/suggest_frames.py: a labelling plan from the command line, with and without a model."""
import json

import pytest

from .e2e_utils import REPO_ROOT, run_tool

BIDIRECTIONAL_CONFIG = 'configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py'


@pytest.fixture(scope='module')
def train_ann(tiny_posetrack):
    return str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')


def test_model_free_plan_is_written_and_printed(train_ann, tmp_path):
    from stdpose_mm.datasets import load_video_annotations, select_labeled_frames

    out = tmp_path / 'plan.json'
    result = run_tool('suggest_frames.py', '--ann', train_ann, '--budget', '3',
                      '--label-stride', '4', '--out', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'rank' in result.stdout and 'wrote' in result.stdout
    content = json.loads(out.read_text())
    picks = content['_labelling_plan']['picks']
    assert len(picks) == 3 and all(p['why'] for p in picks)
    assert picks[0]['rank'] == 1 and f"{picks[0]['frame']:>6}" in result.stdout
    videos = load_video_annotations(train_ann, 17)
    labelled = select_labeled_frames(videos, labeled_frames=content)
    assert sum(map(len, labelled.values())) == 4 + 3  # frames 0 and 4 of 2 videos + 3


def test_bad_inputs_exit_with_one_clear_line(train_ann, tmp_path):
    out = tmp_path / 'plan.json'
    missing = tmp_path / 'nowhere.json'
    result = run_tool('suggest_frames.py', '--ann', str(missing), '--budget', '1', '--out',
                      str(out))
    assert result.returncode == 2 and str(missing) in result.stderr
    result = run_tool('suggest_frames.py', '--ann', train_ann, '--budget', '13',
                      '--label-stride', '4', '--out', str(out))
    assert result.returncode == 2
    assert 'budget 13 is larger than the 12 unlabelled frames' in result.stderr
    result = run_tool('suggest_frames.py', BIDIRECTIONAL_CONFIG, '--ann', train_ann,
                      '--budget', '1', '--out', str(out))
    assert result.returncode == 2 and 'CHECKPOINT' in result.stderr
    assert not out.exists()


def test_untrained_bidirectional_model_adds_its_witness(train_ann, tiny_posetrack, tmp_path):
    """The untrained bidirectional model equals interpolation: its witness changes nothing."""
    import torch
    from mmengine import Config
    from mmpose.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(REPO_ROOT / BIDIRECTIONAL_CONFIG)).model)
    checkpoint = tmp_path / 'untrained.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    with_model, without = tmp_path / 'model.json', tmp_path / 'free.json'
    common = ['--ann', train_ann, '--budget', '2', '--label-stride', '4']
    result = run_tool('suggest_frames.py', BIDIRECTIONAL_CONFIG, str(checkpoint), *common,
                      '--data-root', f'{tiny_posetrack}/', '--out', str(with_model))
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_tool('suggest_frames.py', *common, '--out', str(without)).returncode == 0
    plan = json.loads(with_model.read_text())['_labelling_plan']
    assert len(plan['settings']['witnesses']) == 2
    free = json.loads(without.read_text())['_labelling_plan']
    assert [(p['vid_id'], p['frame']) for p in plan['picks']] == \
        [(p['vid_id'], p['frame']) for p in free['picks']]


def test_labelling_simulation_runs_with_one_command(tmp_path):
    table = tmp_path / 'table.md'
    result = run_tool('labelling_simulation.py', '--data-dir', str(tmp_path / 'data'),
                      '--videos', '2', '--frames', '17', '--per-video', '1',
                      '--random-seeds', '2', '--drift', '0.05', '--work-dir',
                      str(tmp_path / 'work'), '--table', str(table), '--plot',
                      str(tmp_path / 'plot.png'))
    assert result.returncode == 0, result.stderr[-3000:]
    text = table.read_text()
    assert '**synthetic** set' in text and '**harder** set' in text
    assert text.count('| +2 |') == 2 and '+-' in text  # random: mean +- std
    assert (tmp_path / 'plot.png').stat().st_size > 0
    assert (tmp_path / 'data' / 'labelling_sim_harder').is_dir()


def test_labelling_simulation_retrain_writes_the_table_row(tiny_posetrack, tmp_path):
    """``--retrain``: a policy's labels train the estimator (one tiny iteration, one
    policy to keep it fast: tests/apis covers the labels of each)."""
    work = tmp_path / 'work'
    tiny_run = ['train_dataloader.batch_size=2', 'train_dataloader.dataset.indices=2',
                'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
                'default_hooks.logger.interval=1', 'param_scheduler.0.end=1']
    result = run_tool('labelling_simulation.py', '--no-simulation', '--drift', '0.05',
                      '--retrain', '--retrain-data-root', str(tiny_posetrack),
                      '--seed-stride', '4', '--retrain-per-video', '1',
                      '--retrain-epochs', '1', '--retrain-policies', 'plan',
                      '--work-dir', str(work),
                      '--retrain-cfg-options', *tiny_run)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    text = (work / 'retrain_table.md').read_text()
    assert '**Retraining**' in text and '+2 frames: 6 labelled' in text
    assert '| (c) labelling plan |' in text and '| (a) uniform stride |' not in text
    runs = json.loads((work / 'retrain_results.json').read_text())['retrain']['runs']
    assert [(run['policy'], run['step']) for run in runs] == [('plan', 1)]  # last epoch
    assert 0 <= runs[0]['all'] <= 100 and 0 < runs[0]['pseudo_all'] <= 100
    labelled = json.loads((work / 'retrain' / 'plan' / 'labelled.json').read_text())
    assert labelled['_labelling_plan']['budget'] == 2
    assert not (work / 'table.md').exists()  # the simulation's table is left alone
