"""Tests of SpatioTemporalEncoder and its TFF / TKS submodules."""
import pytest
import torch
from mmpose.registry import MODELS

from stdpose_mm.models.necks import (
    DynamicAwareMask,
    SpatioTemporalEncoder,
    TemporalFeatureFusion,
    TemporalKeypointSynthesis,
)

B, T, C, K, H, W = 2, 5, 32, 17, 16, 12
KEY = T // 2
TFF_CFG = dict(embed_dims=32, num_layers=1, num_heads=2, feat_size=(H, W))
TKS_CFG = dict(hidden_channels=32, dilations=(1, 2))


def _dam_outputs(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    dam = DynamicAwareMask(C, K)
    frame_feats = torch.randn(B, T, C, H, W)
    return dam(dict(frame_feats=frame_feats, key_frame_index=KEY))


def _encoder(**kwargs) -> SpatioTemporalEncoder:
    torch.manual_seed(1)
    cfg = dict(in_channels=C, num_keypoints=K, num_frames=T, tff_cfg=TFF_CFG, tks_cfg=TKS_CFG)
    cfg.update(kwargs)
    return SpatioTemporalEncoder(**cfg)


def _num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_registered_and_output_shapes():
    for name in ('SpatioTemporalEncoder', 'TemporalFeatureFusion',
                 'TemporalKeypointSynthesis'):
        assert MODELS.get(name) is not None, name
    encoder = MODELS.build(dict(type='SpatioTemporalEncoder', in_channels=C, num_keypoints=K,
                                num_frames=T, out_channels=24, tff_cfg=TFF_CFG,
                                tks_cfg=TKS_CFG))
    video_feats = _dam_outputs()
    outputs = encoder(video_feats)
    assert outputs['temporal_feats'].shape == (B, 24, H, W)
    assert outputs['synth_heatmaps'].shape == (B, K, H, W)
    assert outputs['synth_feats'].shape == (B, 32, H, W)
    assert outputs['masks'] is video_feats['masks']  # upstream keys are kept


def test_tff_shapes_padding_and_position_interpolation():
    torch.manual_seed(0)
    tff = TemporalFeatureFusion(C, out_channels=16, num_frames=T, **TFF_CFG)
    # Same size as feat_size, and a size that needs padding and embedding interpolation.
    for height, width in ((H, W), (H - 2, W + 3)):
        out = tff(torch.randn(B, T, C, height, width), KEY)
        assert out.shape == (B, 16, height, width)
    with pytest.raises(ValueError):
        tff(torch.randn(B, T - 1, C, H, W), KEY)


def test_tff_output_depends_on_support_frames():
    torch.manual_seed(0)
    tff = TemporalFeatureFusion(C, num_frames=T, **TFF_CFG).eval()
    frame_feats = torch.randn(B, T, C, H, W)
    changed = frame_feats.clone()
    changed[:, 0] += 1.0  # a distant support frame (t-2)
    with torch.no_grad():
        assert not torch.allclose(tff(frame_feats, KEY), tff(changed, KEY))


def test_tks_starts_at_key_frame_heatmaps():
    torch.manual_seed(0)
    tks = TemporalKeypointSynthesis(K, T, **TKS_CFG).eval()
    heatmaps = torch.rand(B, T, K, H, W)
    with torch.no_grad():
        synth_heatmaps, synth_feats = tks(heatmaps, KEY)
    assert synth_heatmaps.shape == (B, K, H, W) and synth_feats.shape == (B, 32, H, W)
    # Final conv initialised with std 0.001: a small correction of the key frame.
    assert (synth_heatmaps - heatmaps[:, KEY]).abs().max() < 0.05
    assert not torch.equal(synth_heatmaps, heatmaps[:, KEY])


@pytest.mark.parametrize('switch', ['use_tff', 'use_tks'])
def test_ablation_switch_removes_module(switch):
    full = _encoder()
    ablated = _encoder(**{switch: False})
    assert _num_params(ablated) < _num_params(full)
    submodule = ('temporal_feature_fusion' if switch == 'use_tff'
                 else 'temporal_keypoint_synthesis')
    assert getattr(ablated, submodule) is None
    assert not any(name.startswith(submodule) for name, _ in ablated.named_parameters())

    video_feats = _dam_outputs()
    full_out, ablated_out = full(video_feats), ablated(video_feats)
    key = 'temporal_feats' if switch == 'use_tff' else 'synth_heatmaps'
    assert full_out[key].shape == ablated_out[key].shape
    assert not torch.allclose(full_out[key], ablated_out[key])


def test_fallbacks():
    video_feats = _dam_outputs()
    outputs = _encoder(use_tff=False, use_tks=False)(video_feats)
    torch.testing.assert_close(outputs['temporal_feats'], video_feats['masked_feats'].mean(1))
    torch.testing.assert_close(outputs['synth_heatmaps'],
                               video_feats['masked_heatmaps'][:, KEY])
    assert 'synth_feats' not in outputs
    # Without TFF, a channel change is a 1x1 projection.
    projected = _encoder(use_tff=False, use_tks=False, out_channels=8)
    assert _num_params(projected) == C * 8 + 8
    assert projected(video_feats)['temporal_feats'].shape == (B, 8, H, W)


def test_gradients_reach_every_parameter():
    dam = DynamicAwareMask(C, K)
    encoder = _encoder()
    frame_feats = torch.randn(B, T, C, H, W)
    outputs = encoder(dam(dict(frame_feats=frame_feats, key_frame_index=KEY)))
    loss = outputs['temporal_feats'].square().mean() + outputs['synth_heatmaps'].square().mean()
    loss.backward()
    missing = [name for name, p in list(dam.named_parameters()) + list(
        encoder.named_parameters()) if p.requires_grad and p.grad is None]
    assert not missing
