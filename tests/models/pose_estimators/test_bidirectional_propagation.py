"""BidirectionalPropagationEstimator: untrained = interpolation, one-sided, training."""
import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import MODELS

from stdpose_mm.datasets import PoseTrackVideoDataset

CONFIG = 'configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py'


@pytest.fixture(scope='module')
def cfg():
    from tests.conftest import REPO_ROOT

    return Config.fromfile(str(REPO_ROOT / CONFIG))


@pytest.fixture(scope='module')
def model(cfg):
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def build_dataset(cfg, root, test_mode):
    loader = cfg.val_dataloader if test_mode else cfg.train_dataloader
    dataset_cfg = loader.dataset.copy()
    dataset_cfg.pop('type')
    dataset_cfg.update(data_root=str(root) + '/')
    return PoseTrackVideoDataset(**dataset_cfg)


def test_untrained_model_is_interpolation_exactly(cfg, model, tiny_posetrack):
    """Zero residual: heatmaps = prior, keypoints and scores = the interpolated pose's."""
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=True)
    indices = list(range(len(dataset)))
    infos = [dataset.get_data_info(i) for i in indices]
    assert any(info['neighbour_present'].sum() == 1 for info in infos)  # video ends
    assert any(info['neighbour_present'].sum() == 2 for info in infos)
    model.eval()
    batch = pseudo_collate([dataset[i] for i in indices])
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=False)
        heatmaps = model(data['inputs'], data['data_samples'], mode='tensor')
        prior = torch.stack([s.gt_fields.prior_heatmaps for s in data['data_samples']])
        results = model.test_step(pseudo_collate([dataset[i] for i in indices]))
    torch.testing.assert_close(heatmaps, prior, rtol=0, atol=0)
    for info, result in zip(infos, results):
        confidence = info['prior_keypoints_visible'][0, 0]
        labelled = confidence > 0
        np.testing.assert_allclose(result.pred_instances.keypoints[0][labelled],
                                   info['prior_keypoints'][0, 0][labelled], atol=1e-3)
        np.testing.assert_allclose(result.pred_instances.keypoint_scores[0][labelled],
                                   confidence[labelled], rtol=1e-5)


def test_training_step_moves_away_from_the_prior(cfg, tiny_posetrack):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=False)
    model.train()
    data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(4)]),
                                   training=True)
    losses = model(**data, mode='loss')
    assert {'loss_kpt', 'loss_frames'} <= set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.head.residual_layer.weight.grad.abs().sum() > 0  # the correction learns
    assert model.neighbour_pose_encoder.pose_embedding[1].weight.grad is not None


def test_distances_enter_as_real_frame_distances(cfg):
    """The same poses at other distances (same window slots) give another embedding."""
    torch.manual_seed(0)
    encoder = MODELS.build(cfg.model.neighbour_pose_encoder).eval()
    feats = dict(frame_feats=torch.zeros(1, 5, encoder.pose_embedding[1].out_channels, 8, 6),
                 key_frame_index=2, neighbour_heatmaps=torch.rand(1, 34, 8, 6),
                 prior_heatmaps=torch.rand(1, 17, 8, 6),
                 neighbour_present=torch.ones(1, 2))
    near = encoder(dict(feats, neighbour_offsets=torch.tensor([[-1., 3.]])))
    far = encoder(dict(feats, neighbour_offsets=torch.tensor([[-2., 5.]])))
    assert not torch.allclose(near['frame_feats'][:, 2], far['frame_feats'][:, 2])
    assert torch.equal(near['frame_feats'][:, 0], feats['frame_feats'][:, 0])  # target only


def test_missing_neighbours_is_an_error(cfg, model, tiny_posetrack):
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=True)
    batch = pseudo_collate([dataset[0]])
    for sample in batch['data_samples']:
        del sample.gt_fields.prior_heatmaps
    model.eval()
    with pytest.raises(ValueError, match='GenerateNeighbourHeatmaps'):
        model.test_step(batch)


def test_a_small_correction_moves_joints_a_little(cfg, tiny_posetrack):
    """Sub-pixel peaks: a tiny residual does not jump a joint by the codec's 1/4 pixel."""
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        model.head.residual_layer.weight.normal_(0, 1e-5)
    dataset = build_dataset(cfg, tiny_posetrack, test_mode=True)
    indices = list(range(min(6, len(dataset))))
    with torch.no_grad():
        results = model.test_step(pseudo_collate([dataset[i] for i in indices]))
    for index, result in zip(indices, results):
        info = dataset.get_data_info(index)
        labelled = info['prior_keypoints_visible'][0, 0] > 0
        np.testing.assert_allclose(result.pred_instances.keypoints[0][labelled],
                                   info['prior_keypoints'][0, 0][labelled], atol=0.05)
