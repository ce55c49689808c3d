"""The ViTPose configs: MMPose's ViTPose checkpoints load into the video model through
MMEngine's ``load_checkpoint(model, file, strict=False)`` (what ``load_from`` calls),
every tensor where it belongs; layer-wise lr decay reaches the ViT's blocks only."""
import os.path as osp

import mmpose
import pytest
import torch
from mmengine import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import load_checkpoint
from mmpose.registry import MODELS

import stdpose_mm.models.pose_estimators.video_topdown as video_topdown

VITPOSE_B = ('body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_ViTPose-base_8xb64-210e_coco-256x192.py')  # MMPose's own config
PAPER_CONFIGS = ['configs/stdpose_vitpose-b_pt17.py', 'configs/stdpose_vitpose-b_pt18.py',
                 'configs/stdpose_vitpose-b_pt21.py']
TINY_SINGLE = 'configs/cpu/td-hm_tiny-vit_synthetic.py'
TINY_VIDEO = 'configs/cpu/stdpose-combined_tiny-vit_synthetic.py'
# Where a ViTPose checkpoint's head goes in the video model.
HEAD_TARGETS = {'head.deconv_layers.': 'backbone.deconv_layers.',
                'head.final_layer.': 'temporal_necks.dam.heatmap_layer.'}


def _cfg(path: str) -> Config:
    from tests.conftest import REPO_ROOT

    if path == VITPOSE_B:
        return Config.fromfile(osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', path))
    return Config.fromfile(str(REPO_ROOT / path))


def _build(path: str, seed: int):
    torch.manual_seed(seed)
    return MODELS.build(_cfg(path).model)


def _fabricate(model, path, seed=123):
    """The model's state dict, every float tensor distinct from any init, saved as MMPose
    saves checkpoints (``state_dict`` + ``meta``)."""
    generator = torch.Generator().manual_seed(seed)
    state = {name: torch.rand(value.shape, generator=generator).to(value.dtype) + 0.25
             if value.is_floating_point() else value
             for name, value in model.state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return state


def _target(name: str) -> str:
    for source, target in HEAD_TARGETS.items():
        if name.startswith(source):
            return target + name[len(source):]
    return name


def _load_and_check(model, path, ckpt, monkeypatch):
    """Load ``path`` into ``model``; every checkpoint tensor in its place, nothing else
    changed. Returns the one log line."""
    logged = []
    monkeypatch.setattr(video_topdown, 'print_log', lambda msg, **kw: logged.append(msg))
    before = {name: value.clone() for name, value in model.state_dict().items()}
    load_checkpoint(model, str(path), map_location='cpu', strict=False)
    after = model.state_dict()

    expected = {_target(name): value for name, value in ckpt.items()
                if not name.endswith('num_batches_tracked')}
    assert set(expected) <= set(after)  # no checkpoint tensor is dropped
    changed = {name for name in after if not torch.equal(after[name], before[name])}
    assert changed == set(expected)
    for name, value in expected.items():
        torch.testing.assert_close(after[name], value, msg=name)
    # The video head (which has a `final_layer` too) and every other new layer keep init.
    assert not any(name.startswith('head.') for name in changed)
    assert len(logged) == 1
    return logged[0]


def test_mmpose_vitpose_b_checkpoint_lands_in_backbone_deconvs_and_dam(tmp_path,
                                                                      monkeypatch):
    """MMPose's own ViTPose-B (its COCO config, built here) gives the key names and shapes."""
    vitpose = _build(VITPOSE_B, seed=1)
    path = tmp_path / 'vitpose-b_coco.pth'
    ckpt = _fabricate(vitpose, path)
    del vitpose
    assert any(k.startswith('head.deconv_layers.') for k in ckpt)  # the layout under test
    model = _build(PAPER_CONFIGS[0], seed=0)

    log = _load_and_check(model, path, ckpt, monkeypatch)
    backbone = {name for name in model.state_dict() if name.startswith('backbone.')}
    assert {_target(name) for name in ckpt} >= backbone  # the whole backbone, deconvs too
    assert 'head.deconv_layers.0.weight -> backbone.deconv_layers.0.weight' in log
    assert 'head.final_layer.weight -> temporal_necks.dam.heatmap_layer.weight' in log
    assert 'other shape, left to their module: none' in log


def test_class_token_position_is_dropped_and_reported(tmp_path, monkeypatch):
    """A checkpoint whose ``pos_embed`` keeps the class token's position (original ViT
    layout): mmpretrain's load hook drops it; the log line says it went to its module."""
    single = _build(TINY_SINGLE, seed=1)
    path = tmp_path / 'tiny_vitpose.pth'
    ckpt = _fabricate(single, path)
    with_cls = torch.cat([torch.full_like(ckpt['backbone.pos_embed'][:, :1], 9.0),
                          ckpt['backbone.pos_embed']], dim=1)
    torch.save(dict(state_dict=dict(ckpt, **{'backbone.pos_embed': with_cls}), meta=dict()),
               path)
    model = _build(TINY_VIDEO, seed=0)

    log = _load_and_check(model, path, ckpt, monkeypatch)
    assert 'other shape, left to their module: backbone.pos_embed' in log


@pytest.mark.parametrize('path', PAPER_CONFIGS)
def test_paper_configs_are_vitpose_b_with_its_checkpoint(path):
    cfg = _cfg(path)
    assert cfg.model.backbone.type == 'UpsampledVisionTransformer'
    assert cfg.model.backbone.arch == 'base' and cfg.model.backbone.img_size == (256, 192)
    assert 'ViTPose-base' in cfg.load_from and 'coco-256x192' in cfg.load_from
    assert cfg.model.head.type == 'MutualLearningHead'
    assert {name: stage['type'] for name, stage in cfg.model.neck.items() if stage} == {
        'dam': 'DynamicAwareMask', 'encoder': 'SpatioTemporalEncoder',
        'motion': 'SemanticMotionEncoder'}
    assert cfg.model.head.decoder.heatmap_size == (48, 64)
    assert cfg.optim_wrapper.constructor == 'LayerDecayOptimWrapperConstructor'


def test_layer_decay_scales_vit_blocks_only():
    cfg = _cfg(PAPER_CONFIGS[0])
    model = _build(PAPER_CONFIGS[0], seed=0)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    scale = {name: group['lr_scale'] for group in optim_wrapper.optimizer.param_groups
             for name in group['param_names']}
    assert scale['backbone.patch_embed.projection.weight'] == pytest.approx(0.75**13)
    assert scale['backbone.layers.0.attn.qkv.weight'] == pytest.approx(0.75**12)
    assert scale['backbone.layers.11.attn.qkv.weight'] == pytest.approx(0.75)
    full_lr = [name for name in scale if not name.startswith(
        ('backbone.layers', 'backbone.patch_embed', 'backbone.pos_embed'))]
    assert any(name.startswith('backbone.deconv_layers') for name in full_lr)
    assert any(name.startswith('temporal_necks.motion') for name in full_lr)
    assert all(scale[name] == 1.0 for name in full_lr)
