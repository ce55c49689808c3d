"""Tests of MutualLearningHead (Feng & Chen's SMML) and the combined DAM -> MLSME -> SMML model."""
import glob
from typing import List

import numpy as np
import pytest
import torch
from mmengine import Config
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from stdpose_mm.models.heads import MutualLearningHead
from stdpose_mm.models.necks import DynamicAwareMask, SemanticMotionEncoder

from ..video_samples import make_video_data_samples

B, T, C, K, H, W = 2, 5, 32, 17, 32, 24
KEY = T // 2
MOTION_CHANNELS = 24
# Heatmap (w, h) = (24, 32) at stride 4 -> input (w, h) = (96, 128), the CPU config's size.
DECODER = dict(type='MSRAHeatmap', input_size=(W * 4, H * 4), heatmap_size=(W, H), sigma=2)
HEAD_CFG = dict(type='MutualLearningHead', in_channels=C, out_channels=K,
                motion_channels=MOTION_CHANNELS, embed_dims=32, num_heads=2, attn_stride=2,
                decoder_channels=32, decoder=DECODER)
COMBINED_CONFIG = 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py'
# Sample 0 has frames 0 and 3 unlabelled.
FRAME_LABELED = torch.tensor([[0., 1., 1., 0., 1.], [1., 1., 1., 1., 1.]])


def make_data_samples(seed: int = 0) -> List[PoseDataSample]:
    return make_video_data_samples(FRAME_LABELED, K, (H, W), seed)


class _Necks(torch.nn.Module):
    """DAM -> semantic motion encoder, as the combined model's neck stages."""

    def __init__(self) -> None:
        super().__init__()
        self.dam = DynamicAwareMask(C, K)
        self.motion = SemanticMotionEncoder(
            C, K, T, out_channels=MOTION_CHANNELS, embed_dims=32, num_heads=2,
            num_patch_blocks=1, num_frame_blocks=1, patch_size=4)

    def forward(self, frame_feats: torch.Tensor) -> dict:
        return self.motion(self.dam(dict(frame_feats=frame_feats, key_frame_index=KEY)))


def _build(seed: int = 0, **head_kwargs):
    torch.manual_seed(seed)
    cfg = dict(HEAD_CFG)
    cfg.update(head_kwargs)
    return _Necks(), MODELS.build(cfg)


def _num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_forward_shape_and_fusion_weights_sum_to_one():
    necks, head = _build()
    assert isinstance(head, MutualLearningHead)
    necks.eval()
    head.eval()
    # Perturb the zero-initialised fusion conv so the weights vary over pixels.
    torch.nn.init.normal_(head.fusion_weight_conv.weight, std=0.5)
    with torch.no_grad():
        heatmaps = head(necks(torch.randn(B, T, C, H, W)))
    assert heatmaps.shape == (B, K, H, W)
    weights = head.last_fusion_weights
    assert weights.shape == (B, 2, H, W)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(B, H, W))
    assert weights[:, 0].std() > 0


def test_fusion_starts_with_equal_weights():
    necks, head = _build()
    head(necks(torch.randn(B, T, C, H, W)))
    torch.testing.assert_close(head.last_fusion_weights, torch.full((B, 2, H, W), 0.5))


def test_training_loss_keys_and_gradients_reach_every_parameter():
    necks, head = _build()
    necks.train()
    head.train()
    frame_feats = torch.randn(B, T, C, H, W, requires_grad=True)
    losses = head.loss(necks(frame_feats), make_data_samples())
    assert set(losses) == {'loss_kpt', 'loss_frames', 'loss_ctx_recon', 'loss_pose_recon',
                           'acc_pose'}
    total = sum(value for name, value in losses.items() if name.startswith('loss'))
    total.backward()
    missing = [name for name, p in list(necks.named_parameters()) + list(
        head.named_parameters()) if p.requires_grad and p.grad is None]
    assert not missing
    assert frame_feats.grad is not None
    assert not hasattr(head, 'deconv_layers')  # HeatmapHead's own layers are not built


def test_eval_has_no_reconstruction_losses():
    necks, head = _build()
    necks.eval()
    losses = head.loss(necks(torch.randn(B, T, C, H, W)), make_data_samples())
    assert set(losses) == {'loss_kpt', 'loss_frames', 'acc_pose'}


def test_pose_recon_loss_weight():
    necks, head = _build()
    _, double = _build(lambda_pose=1.0)
    _, off = _build(lambda_pose=0.0)
    video_feats = necks.train()(torch.randn(B, T, C, H, W))
    samples = make_data_samples()
    reference = head.loss(video_feats, samples)['loss_pose_recon']
    torch.testing.assert_close(double.loss(video_feats, samples)['loss_pose_recon'],
                               2 * reference)
    assert 'loss_pose_recon' not in off.loss(video_feats, samples)
    # lambda_pose (0.5) x the MSE against every frame's GT, zero on unlabelled frames.
    gt = torch.stack([d.gt_fields.frame_heatmaps for d in samples]).unflatten(1, (T, K))
    weights = FRAME_LABELED[:, :, None, None, None]
    expected = 0.5 * ((video_feats['pose_recon_heatmaps'] - gt).square() * weights).mean()
    torch.testing.assert_close(reference, expected)


def test_pose_recon_supervises_labelled_support_frames_only():
    """A labelled support frame's reconstruction error counts, an unlabelled one's not."""
    necks, head = _build()
    video_feats = necks.train()(torch.randn(B, T, C, H, W))
    samples = make_data_samples()
    reference = head.loss(video_feats, samples)['loss_pose_recon']
    for frame, counts in ((0, False), (1, True)):  # sample 0: frame 0 unlabelled, 1 labelled
        changed = dict(video_feats)
        recon = video_feats['pose_recon_heatmaps'].clone()
        recon[0, frame] += 1.0
        changed['pose_recon_heatmaps'] = recon
        loss = head.loss(changed, samples)['loss_pose_recon']
        assert (not torch.allclose(loss, reference)) == counts, frame


def test_stdpose_inputs_feed_the_spatial_stream_and_the_residual():
    """temporal_channels joins TFF features to S; synth_residual adds TKS heatmaps."""
    necks, head = _build(temporal_channels=16, synth_residual=True)
    head.eval()
    video_feats = necks.eval()(torch.randn(B, T, C, H, W))
    video_feats.update(temporal_feats=torch.randn(B, 16, H, W),
                       synth_heatmaps=torch.randn(B, K, H, W))
    with torch.no_grad():
        base = head(video_feats)
        shifted = head(dict(video_feats, synth_heatmaps=video_feats['synth_heatmaps'] + 1))
        other_tff = head(dict(video_feats, temporal_feats=torch.randn(B, 16, H, W)))
    torch.testing.assert_close(shifted, base + 1)
    assert not torch.allclose(other_tff, base)
    assert head.spatial_proj.in_channels == C + 16


@pytest.mark.parametrize('kwargs, removed', [
    (dict(cross_attention=False), 'mutual_layers'),
    (dict(fusion='sum'), 'fusion_weight_conv'),
    (dict(fusion='concat'), 'fusion_weight_conv'),
])
def test_switches_change_the_model_as_named(kwargs, removed):
    necks, full = _build()
    _, ablated = _build(**kwargs)
    assert getattr(ablated, removed) is None
    assert not any(name.startswith(removed) for name, _ in ablated.named_parameters())
    if kwargs.get('fusion') == 'concat':
        assert ablated.fusion_proj is not None  # concat has its own projection
    else:
        assert _num_params(ablated) < _num_params(full)
    ablated.load_state_dict(full.state_dict(), strict=False)
    torch.nn.init.normal_(full.final_layer.weight, std=0.1)
    torch.nn.init.normal_(ablated.final_layer.weight, std=0.1)
    ablated.final_layer.load_state_dict(full.final_layer.state_dict())
    necks.eval()
    full.eval()
    ablated.eval()
    video_feats = necks(torch.randn(B, T, C, H, W))
    with torch.no_grad():
        full_out, ablated_out = full(video_feats), ablated(video_feats)
    assert full_out.shape == ablated_out.shape
    assert not torch.allclose(full_out, ablated_out)
    if 'fusion' in kwargs:
        assert ablated.last_fusion_weights is None
        with pytest.raises(RuntimeError):
            ablated.fusion_weights(torch.zeros(1, 32, 2, 2), torch.zeros(1, 32, 2, 2))


def test_sum_fusion_is_plain_sum():
    necks, head = _build(fusion='sum', cross_attention=False)
    head.eval()
    video_feats = necks.eval()(torch.randn(B, T, C, H, W))
    spatial = head.spatial_proj(video_feats['frame_feats'][:, KEY])
    motion = head.motion_proj(video_feats['motion_feats'])
    torch.testing.assert_close(head.fuse(spatial, motion), spatial + motion)


def test_motion_and_spatial_both_matter():
    necks, head = _build()
    torch.nn.init.normal_(head.final_layer.weight, std=0.1)
    necks.eval()
    head.eval()
    video_feats = necks(torch.randn(B, T, C, H, W))
    with torch.no_grad():
        reference = head(video_feats)
        changed = dict(video_feats, motion_feats=video_feats['motion_feats'] + 1.0)
        assert not torch.allclose(head(changed), reference)
        frame_feats = video_feats['frame_feats'].clone()
        frame_feats[:, KEY] += 1.0
        assert not torch.allclose(head(dict(video_feats, frame_feats=frame_feats)), reference)


def test_invalid_settings_raise():
    with pytest.raises(ValueError, match='fusion'):
        _build(fusion='product')
    with pytest.raises(ValueError, match='attn_stride'):
        _build(attn_stride=0)


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
    assert len(preds) == B
    assert preds[0].keypoints.shape == (1, K, 2)
    assert preds[0].keypoint_scores.shape == (1, K)


@pytest.fixture(scope='module')
def combined_cfg() -> Config:
    from tests.conftest import REPO_ROOT

    return Config.fromfile(str(REPO_ROOT / COMBINED_CONFIG))


def test_combined_model_from_config_trains_and_predicts(combined_cfg):
    torch.manual_seed(0)
    model = MODELS.build(combined_cfg.model)
    assert list(model.temporal_necks) == ['dam', 'encoder', 'motion']
    assert isinstance(model.temporal_necks['motion'], SemanticMotionEncoder)
    assert isinstance(model.head, MutualLearningHead)

    inputs = torch.randn(B, T, 3, H * 4, W * 4)
    model.train()
    losses = model.loss(inputs, make_data_samples())
    assert {'loss_kpt', 'loss_frames', 'loss_ctx_recon', 'loss_pose_recon',
            'acc_pose'} <= set(losses)
    total = sum(value for name, value in losses.items() if name.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    motion = model.temporal_necks['motion']
    assert motion.context_decoder.output_proj.weight.grad is not None
    assert motion.pose_decoder.output_proj.weight.grad is not None
    assert model.backbone.conv1.weight.grad is not None

    model.eval()
    assert model.test_cfg['flip_test']
    with torch.no_grad():
        results = model.predict(inputs, make_data_samples())
        again = model.predict(inputs, make_data_samples())
    assert len(results) == B
    assert results[0].pred_instances.keypoints.shape == (1, K, 2)
    np.testing.assert_array_equal(results[0].pred_instances.keypoints,
                                  again[0].pred_instances.keypoints)


def test_combined_ablation_configs_remove_what_they_name(combined_cfg):
    from tests.conftest import REPO_ROOT

    full = MODELS.build(combined_cfg.model)
    expected = {
        'no-cubes': lambda m: m.temporal_necks['motion'].cube_mask_token is None,
        'no-frames': lambda m: m.temporal_necks['motion'].frame_mask_token is None,
        'no-pose-recon': lambda m: m.temporal_necks['motion'].pose_decoder is None,
        'no-ctx-recon': lambda m: m.temporal_necks['motion'].context_decoder is None,
        'fusion-sum': lambda m: m.head.fusion_weight_conv is None,
        'no-dam': lambda m: not m.temporal_necks['dam'].use_dam,
    }
    paths = sorted(glob.glob(str(REPO_ROOT / 'configs/ablations/stdpose-combined_*.py')))
    found = {path.rsplit('_', 1)[-1][:-3]: path for path in paths}
    assert set(found) == set(expected)
    for name, path in found.items():
        model = MODELS.build(Config.fromfile(path).model)
        assert expected[name](model), name
        if name != 'no-dam':  # the DAM has no parameters of its own beyond its head
            assert _num_params(model) < _num_params(full), name
