"""Tests of SemanticMotionEncoder (Feng & Chen's MLSME with masked reconstruction)."""
from typing import List

import pytest
import torch
from mmpose.registry import MODELS

from stdpose_mm.models.necks import DynamicAwareMask, SemanticMotionEncoder
from stdpose_mm.models.utils import SpaceTimeBlock, fold_patches, unfold_patches

B, T, C, K, H, W = 2, 5, 32, 17, 32, 24
KEY = T // 2
PATCH = 4
NUM_PATCHES = (H // PATCH) * (W // PATCH)  # 8 x 6 = 48
SMALL = dict(embed_dims=32, num_heads=2, num_patch_blocks=2, num_frame_blocks=2,
             patch_size=PATCH, out_channels=24)


def _encoder(seed: int = 1, **kwargs) -> SemanticMotionEncoder:
    torch.manual_seed(seed)
    cfg = dict(in_channels=C, num_keypoints=K, num_frames=T, **SMALL)
    cfg.update(kwargs)
    return SemanticMotionEncoder(**cfg)


def _dam_outputs(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    dam = DynamicAwareMask(C, K)
    return dam(dict(frame_feats=torch.randn(B, T, C, H, W), key_frame_index=KEY))


def _num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _capture_input(module: torch.nn.Module) -> List[torch.Tensor]:
    """Record the first positional input of every call of ``module``."""
    captured = []
    module.register_forward_hook(lambda mod, args, out: captured.append(args[0].detach()))
    return captured


def test_registered_and_output_shapes():
    encoder = MODELS.build(dict(type='SemanticMotionEncoder', in_channels=C, num_keypoints=K,
                                num_frames=T, **SMALL))
    video_feats = _dam_outputs()
    outputs = encoder.train()(video_feats)
    assert outputs['motion_feats'].shape == (B, 24, H, W)
    assert outputs['pose_recon_heatmaps'].shape == (B, T, K, H, W)
    assert outputs['motion_cube_mask'].shape == (B, NUM_PATCHES)
    assert outputs['motion_frame_mask'].shape == (B, T)
    assert set(outputs['aux_losses']) == {'loss_ctx_recon'}
    assert outputs['masks'] is video_feats['masks']  # upstream keys are kept
    assert 'aux_losses' not in video_feats  # the input dict is not modified


def test_transformer_blocks_alternate_joint_and_divided():
    encoder = _encoder()
    modes = [block.attention for block in encoder.patch_blocks]
    modes += [block.attention for block in encoder.frame_blocks]
    assert modes == ['joint', 'divided', 'joint', 'divided']
    block = SpaceTimeBlock(32, 2, attention='divided').eval()
    tokens = torch.randn(B, T, 6, 32)
    changed = tokens.clone()
    changed[:, 0, 0] += 1.0  # one token of frame 0
    with torch.no_grad():
        delta = (block(changed) - block(tokens)).abs().sum(-1)
    # Divided attention reaches the same position in other frames (temporal) and other
    # positions of the same frame (spatial) within one block.
    assert (delta[:, 3, 0] > 0).all() and (delta[:, 0, 5] > 0).all()


@pytest.mark.parametrize('ratio', [0.5, 0.25])
def test_tube_masking_covers_the_fraction_with_whole_tubes(ratio):
    encoder = _encoder(tube_mask_ratio=ratio, mask_frames=False).train()
    captured = _capture_input(encoder.patch_blocks)
    outputs = encoder(_dam_outputs())
    cube_mask = outputs['motion_cube_mask']
    assert (cube_mask.sum(1) == round(ratio * NUM_PATCHES)).all()

    # Two passes: the clean one (pose path) and the masked one (reconstruction).
    assert len(captured) == 2
    # Input of the first block of the masked pass minus the position encodings: the mask
    # token at every masked position of *every* frame (a tube), the patch embedding
    # elsewhere.
    pos = encoder.position_encoding((H // PATCH, W // PATCH), captured[1])
    content = captured[1] - pos  # (B, T, N, d)
    is_mask_token = torch.isclose(
        content, encoder.cube_mask_token.detach().expand_as(content), atol=1e-6).all(-1)
    assert torch.equal(is_mask_token, cube_mask[:, None, :].expand(B, T, NUM_PATCHES))


@pytest.mark.parametrize('num_masked_frames', [1, 2])
def test_frame_masking_masks_whole_support_frames(num_masked_frames):
    encoder = _encoder(mask_cubes=False, num_masked_frames=num_masked_frames).train()
    captured = _capture_input(encoder.frame_blocks)
    outputs = encoder(_dam_outputs())
    frame_mask = outputs['motion_frame_mask']
    assert (frame_mask.sum(1) == num_masked_frames).all()
    assert not frame_mask[:, KEY].any()

    assert len(captured) == 2  # the clean pass, then the masked one
    pos = encoder.position_encoding((H // PATCH, W // PATCH), captured[1])
    expected = (encoder.frame_mask_token.detach() + pos).expand_as(captured[1])
    is_mask_token = torch.isclose(captured[1], expected, atol=1e-6).all(-1)  # (B, T, N)
    assert torch.equal(is_mask_token, frame_mask[:, :, None].expand(B, T, NUM_PATCHES))

    # Many draws: every support frame gets masked sometimes, the key frame never.
    draws = encoder.sample_frame_mask(512, T, KEY, torch.device('cpu'))
    assert not draws[:, KEY].any()
    support = [i for i in range(T) if i != KEY]
    assert draws[:, support].any(0).all()


def test_eval_is_deterministic_and_masks_nothing():
    encoder = _encoder().eval()
    decoder_calls = []
    for decoder in (encoder.context_decoder, encoder.pose_decoder):
        decoder.register_forward_hook(lambda *args: decoder_calls.append(1))
    video_feats = _dam_outputs()
    with torch.no_grad():
        first, second = encoder(video_feats), encoder(video_feats)
    torch.testing.assert_close(first['motion_feats'], second['motion_feats'], rtol=0, atol=0)
    assert not first['motion_cube_mask'].any() and not first['motion_frame_mask'].any()
    assert 'aux_losses' not in first and 'pose_recon_heatmaps' not in first
    assert not decoder_calls



def test_pose_path_in_training_does_not_depend_on_the_mask_draw():
    """The pose path reads the unmasked pass: with fixed weights, two training forwards
    with different mask draws give the same ``motion_feats`` (the reconstruction outputs,
    which read the masked pass, do differ)."""
    encoder = _encoder().train()
    video_feats = _dam_outputs()
    torch.manual_seed(10)
    first = encoder(video_feats)
    torch.manual_seed(11)
    second = encoder(video_feats)
    assert not torch.equal(first['motion_cube_mask'], second['motion_cube_mask'])
    assert first['motion_cube_mask'].any() and first['motion_frame_mask'].any()
    torch.testing.assert_close(first['motion_feats'], second['motion_feats'], rtol=0, atol=0)
    assert not torch.allclose(first['pose_recon_heatmaps'], second['pose_recon_heatmaps'])
    # ...and equal what eval mode gives but for BatchNorm's batch statistics: with the
    # refine BN in eval mode in both, training and eval pose paths agree exactly.
    encoder.refine[1].eval()
    with torch.no_grad():
        training_out = encoder(video_feats)['motion_feats']
        eval_out = encoder.eval()(video_feats)['motion_feats']
    torch.testing.assert_close(training_out, eval_out)


def test_masked_support_frames_get_pose_reconstructions():
    """Pose reconstruction predicts every frame, so masked support frames can be
    supervised with their labels; the masked pass is what the decoder reads."""
    encoder = _encoder().train()
    captured = _capture_input(encoder.pose_decoder)
    outputs = encoder(_dam_outputs())
    assert outputs['pose_recon_heatmaps'].shape == (B, T, K, H, W)
    masked_frame = outputs['motion_frame_mask'][0].nonzero()[0, 0]
    # The decoder's input at a masked frame is identical for every token position only
    # if it came from mask tokens; here it must differ from the clean pass's tokens.
    clean = encoder.encode(
        encoder.patch_embed(_dam_outputs()['masked_feats'].flatten(0, 1)).flatten(2)
        .transpose(1, 2).unflatten(0, (B, T)),
        encoder.position_encoding((H // PATCH, W // PATCH), captured[0]))
    assert not torch.allclose(captured[0][0, masked_frame], clean[0, masked_frame])


def test_context_loss_in_training_gets_gradients():
    encoder = _encoder().train()
    outputs = encoder(_dam_outputs())
    loss = outputs['aux_losses']['loss_ctx_recon'] + outputs['pose_recon_heatmaps'].sum()
    loss.backward()
    for name in ('context_decoder', 'pose_decoder', 'cube_mask_token', 'frame_mask_token'):
        params = [p for n, p in encoder.named_parameters() if n.startswith(name)]
        assert params and all(p.grad is not None for p in params), name
    # Targets are detached: no gradient flows into the features through them.
    targets = torch.randn(B * T, C, H, W, requires_grad=True)
    mask = torch.ones(B, T, NUM_PATCHES, dtype=torch.bool)
    encoder.context_loss(torch.randn(B, T, NUM_PATCHES, 32), targets, mask).backward()
    assert targets.grad is None


def test_context_loss_only_counts_masked_tokens():
    encoder = _encoder().train()
    tokens = torch.randn(B, T, NUM_PATCHES, 32)
    feats = torch.randn(B * T, C, H, W)
    nothing = torch.zeros(B, T, NUM_PATCHES, dtype=torch.bool)
    assert encoder.context_loss(tokens, feats, nothing) == 0
    mask = nothing.clone()
    mask[:, :, :10] = True
    reference = encoder.context_loss(tokens, feats, mask)
    changed = feats.clone()
    changed[:, :, -PATCH:, -PATCH:] += 5.0  # the last patch, not masked
    torch.testing.assert_close(encoder.context_loss(tokens, changed, mask), reference)
    changed = feats.clone()
    changed[:, :, :PATCH, :PATCH] += torch.randn(B * T, C, PATCH, PATCH)  # patch 0, masked
    assert not torch.allclose(encoder.context_loss(tokens, changed, mask), reference)


def test_lambda_ctx_scales_the_loss():
    video_feats = _dam_outputs()
    losses = []
    for lambda_ctx in (0.1, 0.3):
        encoder = _encoder(lambda_ctx=lambda_ctx).train()
        torch.manual_seed(5)
        losses.append(encoder(video_feats)['aux_losses']['loss_ctx_recon'])
    torch.testing.assert_close(losses[1], 3 * losses[0])


def test_existing_aux_losses_are_kept():
    video_feats = _dam_outputs()
    video_feats['aux_losses'] = dict(loss_other=torch.ones(()))
    outputs = _encoder().train()(video_feats)
    assert set(outputs['aux_losses']) == {'loss_other', 'loss_ctx_recon'}
    assert set(video_feats['aux_losses']) == {'loss_other'}


def test_reads_masked_feats_when_present():
    encoder = _encoder().eval()
    video_feats = _dam_outputs()
    with torch.no_grad():
        from_masked = encoder(video_feats)['motion_feats']
        del video_feats['masked_feats']
        from_frames = encoder(video_feats)['motion_feats']
        direct = encoder(dict(frame_feats=_dam_outputs()['masked_feats'],
                              key_frame_index=KEY))['motion_feats']
    assert not torch.allclose(from_masked, from_frames)
    torch.testing.assert_close(from_masked, direct)


@pytest.mark.parametrize('switch, removed', [
    ('mask_cubes', 'cube_mask_token'),
    ('mask_frames', 'frame_mask_token'),
    ('context_reconstruction', 'context_decoder'),
    ('pose_reconstruction', 'pose_decoder'),
])
def test_switches_remove_components(switch, removed):
    full = _encoder()
    ablated = _encoder(**{switch: False})
    assert getattr(ablated, removed) is None
    assert _num_params(ablated) < _num_params(full)
    assert not any(name.startswith(removed) for name, _ in ablated.named_parameters())
    # Same weights for everything both have.
    ablated.load_state_dict(full.state_dict(), strict=False)
    video_feats = _dam_outputs()

    # Masking is training-only: with the same weights the eval outputs agree (checked
    # before the training forwards, which update BatchNorm statistics differently).
    full.eval()
    ablated.eval()
    with torch.no_grad():
        torch.testing.assert_close(full(video_feats)['motion_feats'],
                                   ablated(video_feats)['motion_feats'])

    full.train()
    ablated.train()
    torch.manual_seed(3)
    full_out = full(video_feats)
    torch.manual_seed(3)
    ablated_out = ablated(video_feats)
    # The pose path never sees a mask: switching masking off leaves motion_feats alone.
    torch.testing.assert_close(full_out['motion_feats'], ablated_out['motion_feats'])
    if switch == 'mask_cubes':
        assert not ablated_out['motion_cube_mask'].any()
        assert ablated_out['motion_frame_mask'].any()
    elif switch == 'mask_frames':
        assert not ablated_out['motion_frame_mask'].any()
        assert ablated_out['motion_cube_mask'].any()
    elif switch == 'context_reconstruction':
        assert 'aux_losses' not in ablated_out and 'pose_recon_heatmaps' in ablated_out
    else:
        assert 'pose_recon_heatmaps' not in ablated_out and 'aux_losses' in ablated_out


def test_padding_for_sizes_off_the_patch_grid():
    encoder = _encoder().train()
    feats = torch.randn(B, T, C, H - 2, W + 3)
    outputs = encoder(dict(frame_feats=feats, key_frame_index=KEY))
    assert outputs['motion_feats'].shape == (B, 24, H - 2, W + 3)
    assert outputs['pose_recon_heatmaps'].shape == (B, T, K, H - 2, W + 3)


def test_patch_fold_round_trip():
    maps = torch.randn(B, C, H, W)
    patches = unfold_patches(maps, PATCH)
    assert patches.shape == (B, NUM_PATCHES, C * PATCH * PATCH)
    torch.testing.assert_close(fold_patches(patches, (H // PATCH, W // PATCH), PATCH), maps)


def test_invalid_settings_raise():
    with pytest.raises(ValueError, match='num_masked_frames'):
        _encoder(num_masked_frames=T)
    with pytest.raises(ValueError, match='context_reconstruction'):
        _encoder(mask_cubes=False, mask_frames=False)
    with pytest.raises(ValueError, match='tube_mask_ratio'):
        _encoder(tube_mask_ratio=1.5)
    # Without masking and without context reconstruction it builds.
    _encoder(mask_cubes=False, mask_frames=False, context_reconstruction=False)
    with pytest.raises(ValueError, match='frames'):
        _encoder()(dict(frame_feats=torch.randn(B, T - 1, C, H, W), key_frame_index=1))
