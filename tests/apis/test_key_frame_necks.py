"""The necks' inference-only ``forward_key_frame`` equals their ``forward`` in eval mode."""
import pytest
import torch

from stdpose_mm.apis import VideoPoseInferencer
from stdpose_mm.models.necks import SemanticMotionEncoder, SpatioTemporalEncoder
from tests.conftest import REPO_ROOT

COMBINED_CONFIG = str(REPO_ROOT / 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py')


@pytest.mark.parametrize('key_frame_index', [2, 4, 0])
@pytest.mark.parametrize('pattern', [('joint', 'divided'), ('divided', 'joint')])
def test_motion_encoder_key_frame_path(key_frame_index, pattern):
    torch.manual_seed(0)
    neck = SemanticMotionEncoder(in_channels=8, num_keypoints=3, num_frames=5, embed_dims=16,
                                 num_heads=2, num_patch_blocks=1, num_frame_blocks=2,
                                 attention_pattern=pattern, patch_size=2).eval()
    feats = dict(masked_feats=torch.randn(2, 5, 8, 9, 7), key_frame_index=key_frame_index)
    with torch.no_grad():
        expected, got = neck(feats), neck.forward_key_frame(feats)
    torch.testing.assert_close(got['motion_feats'], expected['motion_feats'],
                               atol=1e-5, rtol=1e-4)
    assert not got['motion_cube_mask'].any() and got['motion_frame_mask'].shape == (2, 5)


@pytest.mark.parametrize('key_frame_index', [2, 4])
def test_spatiotemporal_encoder_key_frame_path(key_frame_index):
    torch.manual_seed(0)
    neck = SpatioTemporalEncoder(in_channels=8, num_keypoints=3, num_frames=5, tff_cfg=dict(
        embed_dims=16, num_heads=2, num_layers=2, patch_size=2, feat_size=(9, 7))).eval()
    feats = dict(masked_feats=torch.randn(2, 5, 8, 9, 7),
                 masked_heatmaps=torch.rand(2, 5, 3, 9, 7), key_frame_index=key_frame_index)
    with torch.no_grad():
        expected, got = neck(feats), neck.forward_key_frame(feats)
    assert set(got) == set(expected)
    for key in ('temporal_feats', 'synth_heatmaps'):
        torch.testing.assert_close(got[key], expected[key], atol=1e-5, rtol=1e-4)


def test_combined_model_video_features_match_extract_feat():
    """The inferencer's neck path (key-frame blocks) gives the model's heatmaps."""
    torch.manual_seed(0)
    inferencer = VideoPoseInferencer(COMBINED_CONFIG, device='cpu')
    model = inferencer.model
    clips = torch.randn(2, 5, 3, 128, 96)
    with torch.no_grad():
        expected = model.head(model.extract_feat(clips))
        frame_feats = inferencer._backbone(clips.flatten(0, 1)).unflatten(0, (2, 5))
        got = model.head(inferencer.video_features(frame_feats, key_position=2))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
