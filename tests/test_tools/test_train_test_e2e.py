"""End to end through the standard tools: train a few iterations, then test the checkpoint."""
import re
import subprocess
import sys

import pytest

from .e2e_utils import data_overrides, run_tool

BASELINE_CONFIG = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'
STDPOSE_CONFIG = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'
DCPOSE_CONFIG = 'configs/cpu/dcpose_tiny-hrnet_synthetic.py'
HEADLINE_CONFIG = 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py'  # what make demo trains
RESEARCH_CONFIG = 'configs/research/stdpose-combined_tiny-hrnet_research.py'


@pytest.mark.parametrize('config', [BASELINE_CONFIG, STDPOSE_CONFIG, DCPOSE_CONFIG,
                                    HEADLINE_CONFIG, RESEARCH_CONFIG])
def test_train_then_test(config, tiny_posetrack, tmp_path):
    work_dir = tmp_path / 'work'
    options = data_overrides(tiny_posetrack)
    train = run_tool('train.py', config, '--work-dir', str(work_dir), '--cfg-options', *options)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    assert 'posetrack/Total AP' in train.stdout + train.stderr

    test = run_tool('test.py', config, str(checkpoint), '--work-dir', str(work_dir / 'test'),
                    '--cfg-options', *options)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-3000:]
    match = re.search(r'posetrack/Total AP: ([0-9.]+)', output)
    assert match, output[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0


EXTERNAL_CONFIG = """
_base_ = [__import__('stdpose_mm.config_path', fromlist=['_']).config_path('{name}')]
{body}
"""


def test_external_project_inherits_installed_config(tmp_path):
    from mmengine import Config

    external = tmp_path / 'my_project' / 'my_stdpose.py'
    external.parent.mkdir()
    external.write_text(EXTERNAL_CONFIG.format(
        name='stdpose_hrnet_pt17.py', body="model = dict(neck=dict(dam=dict(k=20.0)))"))
    cfg = Config.fromfile(str(external))
    assert cfg.model.type == 'VideoTopdownPoseEstimator'
    assert cfg.model.neck.dam.k == 20.0 and cfg.model.neck.dam.theta == 0.1
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/posetrack17_train.json'


def test_mmpose_own_train_script_with_custom_imports(tiny_posetrack, tmp_path):
    """MMPose's unmodified tools/train.py, an outside config, the plugin via custom_imports."""
    from stdpose_mm.utils.mmpose_tools import mmpose_tool_path

    external = tmp_path / 'external.py'
    external.write_text(EXTERNAL_CONFIG.format(name=BASELINE_CONFIG[len('configs/'):],
                                               body='train_cfg = dict(max_epochs=1)'))
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, mmpose_tool_path('train.py'), str(external), '--work-dir',
         str(work_dir), '--cfg-options', *data_overrides(tiny_posetrack)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()


def make_pt21_layout(src, dst):
    """The tiny set as PoseTrack21 publishes it: ``posetrack_data/val/<video>.json``."""
    import shutil

    shutil.copytree(src / 'annotations' / 'val', dst / 'posetrack_data' / 'val')
    (dst / 'images').symlink_to(src / 'images', target_is_directory=True)
    (dst / 'annotations').mkdir()
    shutil.copy(src / 'annotations' / 'posetrack18_val_human_detections.json',
                dst / 'annotations' / 'posetrack21_val_human_detections.json')
    return dst


def test_test_tool_on_posetrack21_layout(tiny_posetrack, tmp_path):
    """Issue 14 (1): ann_file (dataset and metric) is a folder of per-video jsons."""
    import torch
    from mmengine import Config
    from mmpose.registry import MODELS

    root = make_pt21_layout(tiny_posetrack, tmp_path / 'pt21')
    torch.manual_seed(0)
    checkpoint = tmp_path / 'stdpose.pth'
    model = MODELS.build(Config.fromfile(STDPOSE_CONFIG).model)
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    gt_dir = f'{root}/posetrack_data/val'
    options = [option for option in data_overrides(root) if 'evaluator' not in option]
    options += ['test_dataloader.dataset.ann_file=posetrack_data/val',
                f'test_evaluator.ann_file={gt_dir}']
    test = run_tool('test.py', STDPOSE_CONFIG, str(checkpoint), '--work-dir',
                    str(tmp_path / 'work'), '--cfg-options', *options)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-3000:]
    match = re.search(r'posetrack/Total AP: ([0-9.]+)', output)
    assert match, output[-3000:]


def test_pt21_config_reads_posetrack21_layout(tiny_posetrack, tmp_path):
    """configs/stdpose_hrnet_pt21.py: its val dataset and evaluator on the PT21 layout
    (GT as predictions: 100 AP), without running the W48 model on CPU."""
    import numpy as np
    from mmengine import Config
    from mmengine.fileio import load
    from mmpose.registry import DATASETS, METRICS

    root = make_pt21_layout(tiny_posetrack, tmp_path / 'pt21')
    cfg = Config.fromfile('configs/stdpose_hrnet_pt21.py')
    data_root = str(root) + '/'
    cfg.val_dataloader.dataset.update(data_root=data_root, pipeline=[])
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(dataset) > 0 and dataset.num_frames == 5
    evaluator_cfg = cfg.val_evaluator.copy()
    for key in ('ann_file', 'gt_dir'):
        if evaluator_cfg.get(key):
            evaluator_cfg[key] = evaluator_cfg[key].replace(cfg.data_root, data_root)
    metric = METRICS.build(dict(evaluator_cfg, outfile_prefix=f'{tmp_path}/pred/res',
                                score_mode='bbox', nms_mode='none'))
    metric.dataset_meta = dataset.metainfo
    count = 0
    for path in sorted((root / 'posetrack_data' / 'val').glob('*.json')):
        for ann in load(str(path))['annotations']:
            kpts = np.array(ann['keypoints'], dtype=np.float32).reshape(1, -1, 3)
            metric.process([{'inputs': None}], [{
                'id': ann['id'], 'img_id': ann['image_id'],
                'gt_instances': {'bbox_scores': np.ones(1, np.float32)},
                'pred_instances': {'keypoints': kpts[..., :2],
                                   'keypoint_scores': kpts[..., 2]}}])
            count += 1
    results = metric.evaluate(size=count)
    assert results['posetrack/Total AP'] == pytest.approx(100.0)
