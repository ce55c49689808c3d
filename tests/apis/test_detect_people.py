"""tools/detect_people.py: an MMDetection model's boxes become the val configs' detections json."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from mmengine import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

from tests.conftest import REPO_ROOT

VIDEO_CONFIG = str(REPO_ROOT / 'configs/cpu/stdpose_tiny-hrnet_synthetic.py')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'detect_people', REPO_ROOT / 'tools' / 'detect_people.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(scope='module')
def val_set(tmp_path_factory):
    from stdpose_mm.datasets.synthetic import generate_posetrack

    root = tmp_path_factory.mktemp('detect_people')
    summary = generate_posetrack(str(root), num_videos={'val': 1}, num_frames=3,
                                 image_size=(192, 144), people_per_video=(2, 2),
                                 write_masks=False, seed=1)
    return root, summary['splits']['val']['ann_file']


def test_detections_flow_into_the_val_dataset(val_set, tmp_path, capsys):
    root, ann_file = val_set
    mmdet_configs = Path(__import__('mmdet').__file__).parent / '.mim' / 'configs'
    det_config = tmp_path / 'rtmdet_tiny_3boxes.py'
    det_config.write_text(
        f"_base_ = ['{mmdet_configs / 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py'}']\n"
        "model = dict(backbone=dict(init_cfg=None), test_cfg=dict(max_per_img=3))\n")
    out = tmp_path / 'dets.json'
    torch.manual_seed(0)
    _tool().main([str(det_config), 'none', ann_file, str(out), '--device', 'cpu',
                  '--det-cat-id', *map(str, range(80)), '--batch-size', '2'])
    assert f'to {out}' in capsys.readouterr().out

    detections = json.loads(out.read_text())
    image_ids = {image['id'] for image in json.loads(Path(ann_file).read_text())['images']}
    assert 3 <= len(detections) <= 3 * len(image_ids)  # up to 3 boxes on each frame
    assert {d['image_id'] for d in detections} == image_ids
    for det in detections:
        assert set(det) == {'image_id', 'bbox', 'score', 'category_id'}
        assert det['category_id'] == 1 and len(det['bbox']) == 4
        assert det['bbox'][2] >= 0 and det['bbox'][3] >= 0 and 0 <= det['score'] <= 1

    cfg = Config.fromfile(VIDEO_CONFIG)
    init_default_scope('mmpose')
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root),
                                  bbox_file=str(out), test_mode=True))
    assert len(dataset) == len(detections)  # every box became a sample


def test_missing_frame_is_one_error_line(val_set, tmp_path):
    _, ann_file = val_set
    mmdet_configs = Path(__import__('mmdet').__file__).parent / '.mim' / 'configs'
    with pytest.raises(SystemExit, match=r'error: .*is not at .*nowhere'):
        _tool().main([str(mmdet_configs / 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py'), 'none',
                      ann_file, str(tmp_path / 'dets.json'), '--device', 'cpu',
                      '--data-root', str(tmp_path / 'nowhere')])
