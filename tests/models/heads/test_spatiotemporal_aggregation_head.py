"""Tests of SpatioTemporalAggregationHead (with the STDPose necks in front of it)."""
from typing import List

import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from stdpose_mm.models.heads import SpatioTemporalAggregationHead
from stdpose_mm.models.necks import DynamicAwareMask, SpatioTemporalEncoder

from ..video_samples import make_video_data_samples

B, T, C, K, H, W = 2, 5, 32, 17, 16, 12
KEY = T // 2
# Heatmap (w, h) = (12, 16) at stride 4 -> input (w, h) = (48, 64).
DECODER = dict(type='MSRAHeatmap', input_size=(W * 4, H * 4), heatmap_size=(W, H), sigma=2)
HEAD_CFG = dict(type='SpatioTemporalAggregationHead', in_channels=C, out_channels=K,
                guidance_channels=32, num_guidance_blocks=1, deform_channels=16,
                dilations=(3, 6, 9, 12), decoder=DECODER)
# Frames 0 and 3 are unlabelled in sample 0, frame 4 in sample 1.
FRAME_LABELED = torch.tensor([[0., 1., 1., 0., 1.], [1., 1., 1., 1., 0.]])


def make_data_samples(frame_labeled: torch.Tensor = FRAME_LABELED,
                      seed: int = 0) -> List[PoseDataSample]:
    return make_video_data_samples(frame_labeled, K, (H, W), seed)


class _Necks(torch.nn.Module):
    def __init__(self, **encoder_kwargs) -> None:
        super().__init__()
        self.dam = DynamicAwareMask(C, K)
        self.encoder = SpatioTemporalEncoder(
            C, K, T, tff_cfg=dict(embed_dims=32, num_layers=1, num_heads=2, feat_size=(H, W)),
            tks_cfg=dict(hidden_channels=32, dilations=(1, 2)), **encoder_kwargs)

    def forward(self, frame_feats: torch.Tensor) -> dict:
        return self.encoder(self.dam(dict(frame_feats=frame_feats, key_frame_index=KEY)))


def _build(seed: int = 0, **head_kwargs):
    torch.manual_seed(seed)
    cfg = dict(HEAD_CFG)
    cfg.update(head_kwargs)
    return _Necks(), MODELS.build(cfg)


def test_forward_shape_and_registry():
    necks, head = _build()
    assert isinstance(head, SpatioTemporalAggregationHead)
    heatmaps = head(necks(torch.randn(B, T, C, H, W)))
    assert heatmaps.shape == (B, K, H, W)


def test_loss_keys_and_gradients_reach_every_parameter():
    necks, head = _build()
    frame_feats = torch.randn(B, T, C, H, W, requires_grad=True)
    video_feats = necks(frame_feats)
    aux = (video_feats['temporal_feats'].mean() * 0).abs()
    video_feats['aux_losses'] = dict(loss_recon=aux)
    losses = head.loss(video_feats, make_data_samples())
    assert set(losses) == {'loss_kpt', 'loss_frames', 'loss_recon', 'acc_pose'}
    total = sum(value for name, value in losses.items() if name.startswith('loss'))
    total.backward()
    missing = [name for name, p in list(necks.named_parameters()) + list(
        head.named_parameters()) if p.requires_grad and p.grad is None]
    assert not missing
    assert frame_feats.grad is not None
    # No parameter of HeatmapHead's own (deconv/final) layers is left unused.
    assert not hasattr(head, 'deconv_layers')


def test_compute_acc_off():
    necks, head = _build()
    losses = head.loss(necks(torch.randn(B, T, C, H, W)), make_data_samples(),
                       train_cfg=dict(compute_acc=False))
    assert 'acc_pose' not in losses


def test_aux_loss_name_clash_raises():
    necks, head = _build()
    video_feats = necks(torch.randn(B, T, C, H, W))
    video_feats['aux_losses'] = dict(loss_kpt=torch.zeros(()))
    with pytest.raises(KeyError):
        head.loss(video_feats, make_data_samples())


def test_frame_loss_ignores_unlabelled_frames():
    necks, head = _build()
    video_feats = necks(torch.randn(B, T, C, H, W))
    samples = make_data_samples()
    reference = head.loss(video_feats, samples)['loss_frames']

    # Sample 0, frame 3 is unlabelled: a new target there changes nothing.
    unlabelled = make_data_samples()
    unlabelled[0].gt_fields.frame_heatmaps[3 * K:4 * K] = 5.0
    torch.testing.assert_close(head.loss(video_feats, unlabelled)['loss_frames'], reference)

    # Sample 0, frame 1 is labelled: the loss moves.
    labelled = make_data_samples()
    labelled[0].gt_fields.frame_heatmaps[1 * K:2 * K] = 5.0
    assert head.loss(video_feats, labelled)['loss_frames'] > reference


def test_frame_loss_weight_scales_loss_frames():
    necks, head = _build()
    _, half = _build(frame_loss_weight=0.5)
    video_feats = necks(torch.randn(B, T, C, H, W))
    samples = make_data_samples()
    torch.testing.assert_close(half.loss(video_feats, samples)['loss_frames'],
                               0.5 * head.loss(video_feats, samples)['loss_frames'])


def test_predict_with_flip_test():
    necks, head = _build()
    necks.eval()
    head.eval()
    frame_feats = torch.randn(B, T, C, H, W)
    with torch.no_grad():
        feats = [necks(frame_feats), necks(frame_feats.flip(-1))]
        preds = head.predict(feats, make_data_samples(),
                             test_cfg=dict(flip_test=True, flip_mode='heatmap',
                                           shift_heatmap=True))
        plain = head.predict(feats[0], make_data_samples())
    assert len(preds) == B and len(plain) == B
    for pred in preds:
        assert isinstance(pred, InstanceData)
        assert pred.keypoints.shape == (1, K, 2)
        assert pred.keypoint_scores.shape == (1, K)

    with torch.no_grad():
        preds, pred_fields = head.predict(feats, make_data_samples(),
                                          test_cfg=dict(flip_test=True, output_heatmaps=True))
    assert pred_fields[0].heatmaps.shape == (K, H, W)


def test_motion_feats_are_used_when_configured():
    necks, head = _build(motion_feat_channels=8)
    # Offsets start at zero (output independent of the guidance): perturb them.
    for conv in head.offset_mask_convs:
        torch.nn.init.normal_(conv.weight, std=0.01)
    head.eval()
    video_feats = necks(torch.randn(B, T, C, H, W))
    video_feats['motion_feats'] = torch.randn(B, 8, H, W)
    with torch.no_grad():
        reference = head(video_feats)
        video_feats['motion_feats'] = video_feats['motion_feats'] + 1.0
        assert not torch.allclose(head(video_feats), reference)
        del video_feats['motion_feats']
        with pytest.raises(KeyError):
            head(video_feats)


def test_synth_residual_switch():
    necks, head = _build()
    _, plain = _build(synth_residual=False)
    assert sum(p.numel() for p in head.parameters()) == sum(
        p.numel() for p in plain.parameters())
    head.eval()
    plain.eval()
    video_feats = necks(torch.randn(B, T, C, H, W))
    with torch.no_grad():
        with_residual, without = head(video_feats), plain(video_feats)
    # The final conv starts at std 0.001: the head starts as the TKS heatmaps.
    torch.testing.assert_close(with_residual - without, video_feats['synth_heatmaps'])


def test_deform_groups_must_divide_channels():
    with pytest.raises(ValueError):
        _build(deform_groups=7)  # C + C' = 64
