"""Tests of DynamicAwareMask (STDPose's Dynamic-Aware Mask)."""
import math

import pytest
import torch
from mmpose.registry import MODELS

from stdpose_mm.models.necks import DynamicAwareMask

B, T, C, K, H, W = 2, 5, 32, 17, 16, 12
KEY = T // 2


def _video_feats(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return dict(frame_feats=torch.randn(B, T, C, H, W, generator=generator),
                key_frame_index=KEY)


def test_registered_and_output_shapes():
    dam = MODELS.build(dict(type='DynamicAwareMask', in_channels=C, num_keypoints=K))
    assert isinstance(dam, DynamicAwareMask)
    video_feats = _video_feats()
    outputs = dam(video_feats)
    for key in ('frame_heatmaps', 'residuals', 'masks', 'masked_heatmaps'):
        assert outputs[key].shape == (B, T, K, H, W), key
    assert outputs['masked_feats'].shape == (B, T, C, H, W)
    # Input keys are kept, and the input dict is not mutated.
    assert outputs['frame_feats'] is video_feats['frame_feats']
    assert set(video_feats) == {'frame_feats', 'key_frame_index'}


def test_dynamic_mask_formula_on_hand_made_residual():
    k, theta = 20.0, 0.1
    residuals = torch.tensor([[0.0, 0.1, -0.1, 0.5], [-0.5, 0.05, -1.0, 0.2]])
    expected = torch.tensor([[1.0 / (1.0 + math.exp(-k * (abs(r) - theta))) for r in row]
                             for row in residuals.tolist()])
    masks = DynamicAwareMask.dynamic_mask(residuals, k, theta)
    torch.testing.assert_close(masks, expected)
    # At |R| = theta the mask is exactly 0.5; appearing and disappearing joints are equal.
    assert masks[0, 1] == pytest.approx(0.5)
    assert masks[0, 1] == masks[0, 2]
    assert masks[0, 3] == masks[1, 0]


def test_residuals_masks_and_masked_outputs():
    k, theta, static_weight = 25.0, 0.05, 0.5
    dam = DynamicAwareMask(C, K, k=k, theta=theta, static_feat_weight=static_weight)
    outputs = dam(_video_feats())
    heatmaps = outputs['frame_heatmaps']
    torch.testing.assert_close(outputs['residuals'], heatmaps - heatmaps[:, KEY:KEY + 1])
    assert torch.all(outputs['residuals'][:, KEY] == 0)

    support = [i for i in range(T) if i != KEY]
    expected_masks = DynamicAwareMask.dynamic_mask(outputs['residuals'], k, theta)
    torch.testing.assert_close(outputs['masks'][:, support], expected_masks[:, support])
    assert torch.all(outputs['masks'][:, KEY] == 1)  # the key frame is kept unmasked

    torch.testing.assert_close(outputs['masked_heatmaps'], heatmaps * outputs['masks'])
    region = outputs['masks'].amax(dim=2, keepdim=True)
    torch.testing.assert_close(outputs['masked_feats'],
                               outputs['frame_feats'] * (static_weight + (1 - static_weight)
                                                         * region))


def test_masks_follow_a_moving_joint():
    """A joint moving on a support frame lights the mask there, a static one does not."""
    dam = DynamicAwareMask(C, K, k=30.0, theta=0.1)
    heatmaps = torch.zeros(1, T, K, H, W)
    heatmaps[:, :, 0, 5, 5] = 1.0  # joint 0 static in every frame
    heatmaps[:, :, 1, 8, 4] = 1.0  # joint 1 at (8, 4) ...
    heatmaps[:, 0, 1, 8, 4] = 0.0
    heatmaps[:, 0, 1, 9, 6] = 1.0  # ... but elsewhere on frame 0
    masks = DynamicAwareMask.dynamic_mask(heatmaps - heatmaps[:, KEY:KEY + 1], dam.k, dam.theta)
    assert masks[0, 0, 1, 9, 6] > 0.99 and masks[0, 0, 1, 8, 4] > 0.99  # appear + disappear
    assert masks[0, 0, 0, 5, 5] < 0.1 and masks[0, 1, 1, 8, 4] < 0.1


def test_use_dam_false_gives_ones_and_identity():
    dam = DynamicAwareMask(C, K, use_dam=False)
    outputs = dam(_video_feats())
    assert torch.all(outputs['masks'] == 1)
    torch.testing.assert_close(outputs['masked_feats'], outputs['frame_feats'])
    torch.testing.assert_close(outputs['masked_heatmaps'], outputs['frame_heatmaps'])
    # The per-frame heatmap head still exists (for the per-frame loss).
    assert sum(p.numel() for p in dam.parameters()) == C * K + K


def test_negative_key_frame_index():
    dam = DynamicAwareMask(C, K)
    video_feats = _video_feats()
    video_feats['key_frame_index'] = -1
    outputs = dam(video_feats)
    assert torch.all(outputs['residuals'][:, T - 1] == 0)
    assert torch.all(outputs['masks'][:, T - 1] == 1)


def test_gradients_reach_every_parameter():
    dam = DynamicAwareMask(C, K)
    video_feats = _video_feats()
    video_feats['frame_feats'].requires_grad_(True)
    outputs = dam(video_feats)
    loss = outputs['masked_feats'].square().mean() + outputs['masked_heatmaps'].square().mean()
    loss.backward()
    assert all(p.grad is not None for p in dam.parameters() if p.requires_grad)
    assert video_feats['frame_feats'].grad is not None


def test_invalid_static_feat_weight():
    with pytest.raises(ValueError):
        DynamicAwareMask(C, K, static_feat_weight=1.5)
