import pytest
import torch
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import MODELS

from stdpose_mm.datasets import PoseTrackVideoDataset

PROPAGATION_CONFIG = 'configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py'


@pytest.fixture(scope='module')
def cfg():
    from tests.conftest import REPO_ROOT

    return Config.fromfile(str(REPO_ROOT / PROPAGATION_CONFIG))


@pytest.fixture(scope='module')
def model(cfg):
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def build_dataset(cfg, root, test_mode):
    loader = cfg.val_dataloader if test_mode else cfg.train_dataloader
    dataset_cfg = loader.dataset.copy()
    dataset_cfg.pop('type')
    dataset_cfg.update(data_root=str(root) + '/')
    if not test_mode:
        dataset_cfg.update(label_stride=2)  # the tiny set: 8 frames, pairs 2 and 4 apart
    return PoseTrackVideoDataset(**dataset_cfg)


def test_training_step_on_propagation_pairs(cfg, model, tiny_posetrack):
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=False)
    model.train()
    data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(3)]),
                                   training=True)
    losses = model(**data, mode='loss')
    assert {'loss_kpt', 'loss_frames'} <= set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.source_pose_encoder.pose_embedding[1].weight.grad.abs().sum() > 0


def test_prediction_follows_the_source_pose(cfg, model, tiny_posetrack):
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=True)
    batch = pseudo_collate([dataset[i] for i in range(2)])
    model.eval()
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        heatmaps = model(data['inputs'], data['data_samples'], mode='tensor')
        for sample in data['data_samples']:
            sample.gt_fields.source_heatmaps = sample.gt_fields.source_heatmaps.flip(-2)
        moved = model(data['inputs'], data['data_samples'], mode='tensor')
        results = model.test_step(pseudo_collate([dataset[i] for i in range(2)]))
    assert heatmaps.shape == (2, 17, 32, 24)
    assert not torch.allclose(heatmaps, moved)  # the source pose is an input
    assert results[0].pred_instances.keypoints.shape == (1, 17, 2)


def test_missing_source_pose_is_an_error(cfg, model, tiny_posetrack):
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=True)
    batch = pseudo_collate([dataset[0]])
    for sample in batch['data_samples']:
        del sample.gt_fields.source_heatmaps
    model.eval()
    with pytest.raises(ValueError, match='GenerateSourceHeatmap'):
        model.test_step(batch)
