"""Tests of the DCPose-style baseline head."""
from typing import List

import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from stdpose_mm.models.heads import DCPoseHead

from ..video_samples import make_video_data_samples

B, T, C, K, H, W = 2, 5, 32, 17, 16, 12
KEY = T // 2
DECODER = dict(type='MSRAHeatmap', input_size=(W * 4, H * 4), heatmap_size=(W, H), sigma=2)
HEAD_CFG = dict(type='DCPoseHead', in_channels=C, out_channels=K, num_frames=T,
                decoder=DECODER)
FRAME_LABELED = torch.tensor([[0., 1., 1., 0., 1.], [1., 1., 1., 1., 0.]])


def make_data_samples(seed: int = 0) -> List[PoseDataSample]:
    return make_video_data_samples(FRAME_LABELED, K, (H, W), seed)


def _video_feats(requires_grad: bool = False) -> dict:
    frame_feats = torch.randn(B, T, C, H, W, requires_grad=requires_grad)
    return dict(frame_feats=frame_feats, key_frame_index=KEY)


def _build(**kwargs) -> DCPoseHead:
    torch.manual_seed(0)
    cfg = dict(HEAD_CFG)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_forward_shape():
    head = _build()
    assert isinstance(head, DCPoseHead)
    key_heatmaps, frame_heatmaps = head.forward_with_frame_heatmaps(_video_feats())
    assert key_heatmaps.shape == (B, K, H, W)
    assert frame_heatmaps.shape == (B, T, K, H, W)
    assert head(_video_feats()).shape == (B, K, H, W)


def test_loss_keys_and_gradients_reach_every_parameter():
    head = _build()
    video_feats = _video_feats(requires_grad=True)
    losses = head.loss(video_feats, make_data_samples())
    assert set(losses) == {'loss_kpt', 'loss_frames', 'acc_pose'}
    (losses['loss_kpt'] + losses['loss_frames']).backward()
    missing = [n for n, p in head.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing
    assert video_feats['frame_feats'].grad is not None


def test_frame_loss_ignores_unlabelled_frames():
    head = _build()
    video_feats = _video_feats()
    reference = head.loss(video_feats, make_data_samples())['loss_frames']
    unlabelled = make_data_samples()
    unlabelled[1].gt_fields.frame_heatmaps[4 * K:5 * K] = 5.0  # sample 1, frame 4
    torch.testing.assert_close(head.loss(video_feats, unlabelled)['loss_frames'], reference)
    labelled = make_data_samples()
    labelled[1].gt_fields.frame_heatmaps[0:K] = 5.0  # sample 1, frame 0
    assert head.loss(video_feats, labelled)['loss_frames'] > reference


def test_identity_init_of_deformable_convs():
    head = _build()
    centre = head.deform_convs[0].kernel_size // 2
    for deform in head.deform_convs:
        torch.testing.assert_close(deform.weight[:, :, centre, centre], torch.eye(K))


def test_predict_with_flip_test():
    head = _build().eval()
    frame_feats = torch.randn(B, T, C, H, W)
    feats = [dict(frame_feats=frame_feats, key_frame_index=KEY),
             dict(frame_feats=frame_feats.flip(-1), key_frame_index=KEY)]
    with torch.no_grad():
        preds = head.predict(feats, make_data_samples(), test_cfg=dict(flip_test=True))
    assert len(preds) == B
    assert all(isinstance(p, InstanceData) and p.keypoints.shape == (1, K, 2) for p in preds)


def test_wrong_number_of_frames():
    head = _build()
    with pytest.raises(ValueError):
        head(dict(frame_feats=torch.randn(B, T - 2, C, H, W), key_frame_index=1))
