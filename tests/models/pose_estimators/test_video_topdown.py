import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import MODELS

from stdpose_mm.datasets import PoseTrackVideoDataset

CPU_CONFIG = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'


@pytest.fixture(scope='module')
def cfg():
    from tests.conftest import REPO_ROOT

    return Config.fromfile(str(REPO_ROOT / CPU_CONFIG))


def batch_from(dataset, indices):
    return pseudo_collate([dataset[i] for i in indices])


def build_dataset(cfg, root, test_mode):
    loader = cfg.val_dataloader if test_mode else cfg.train_dataloader
    dataset_cfg = loader.dataset.copy()
    dataset_cfg.pop('type')
    dataset_cfg.update(data_root=str(root) + '/')
    return PoseTrackVideoDataset(**dataset_cfg)


def test_backbone_runs_once_on_all_frames(cfg, tiny_posetrack):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    calls = []
    model.backbone.register_forward_hook(lambda mod, args, out: calls.append(args[0].shape))
    data = model.data_preprocessor(
        batch_from(build_dataset(cfg, tiny_posetrack, False), [0, 1]), training=True)
    losses = model(**data, mode='loss')
    assert calls == [torch.Size([2 * 5, 3, 128, 96])]
    assert {'loss_kpt', 'loss_frames', 'acc_pose'} <= set(losses)
    total = sum(value for key, value in losses.items() if key.startswith('loss'))
    total.backward()
    assert model.backbone.conv1.weight.grad is not None
    assert model.temporal_necks['encoder'].temporal_feature_fusion is not None


def test_predict_with_flip_test_gives_image_keypoints(cfg, tiny_posetrack):
    model = MODELS.build(cfg.model).eval()
    dataset = build_dataset(cfg, tiny_posetrack, True)
    data = model.data_preprocessor(batch_from(dataset, [0, 1, 2]), training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert len(results) == 3
    keypoints = results[0].pred_instances.keypoints
    assert keypoints.shape == (1, 17, 2)
    # Decoded into the original frame: inside the crop the model saw (give or take the
    # sub-pixel refinement of one heatmap pixel).
    meta = results[0].metainfo
    heatmap_pixel = meta['input_scale'] / np.array([24, 32])
    low = meta['input_center'] - meta['input_scale'] / 2 - heatmap_pixel - 1e-3
    high = meta['input_center'] + meta['input_scale'] / 2 + heatmap_pixel + 1e-3
    assert (keypoints[0] >= low).all() and (keypoints[0] <= high).all()


def test_key_frame_position_must_match(cfg, tiny_posetrack):
    model_cfg = cfg.model.copy()
    model_cfg['key_frame_index'] = -1  # causal model, but the data is centred
    model = MODELS.build(model_cfg)
    data = model.data_preprocessor(
        batch_from(build_dataset(cfg, tiny_posetrack, False), [0]), training=True)
    with pytest.raises(ValueError, match='key frame at position 2'):
        model(**data, mode='loss')


def test_named_neck_stages_can_be_changed_or_dropped(cfg):
    ablated = Config(dict(model=cfg.model))
    ablated.merge_from_dict({'model.neck.encoder': None, 'model.neck.dam.use_dam': False})
    model_cfg = ablated.model
    model_cfg.head['motion_feat_channels'] = 0
    with pytest.raises(Exception):
        # The aggregation head needs the encoder's outputs.
        MODELS.build(model_cfg)(torch.zeros(1, 5, 3, 128, 96), None, mode='tensor')
    full = MODELS.build(cfg.model)
    assert list(full.temporal_necks) == ['dam', 'encoder']
    dropped_cfg = cfg.model.copy()
    dropped_cfg['neck'] = dict(dam=cfg.model.neck.dam, encoder=None)
    assert list(MODELS.build(dropped_cfg).temporal_necks) == ['dam']
