"""UpsampledVisionTransformer: mmpretrain's ViT + ViTPose's per-frame deconvolutions."""
import pytest
import torch
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS

from stdpose_mm.models import UpsampledVisionTransformer

TINY = dict(type='UpsampledVisionTransformer',
            arch=dict(embed_dims=48, num_layers=2, num_heads=2, feedforward_channels=96),
            img_size=(128, 96), patch_size=16, qkv_bias=True, with_cls_token=False,
            out_type='featmap', patch_cfg=dict(padding=2), deconv_out_channels=(16, 8))


def test_tokens_upsampled_to_the_stride_4_grid():
    backbone = MODELS.build(TINY)
    assert isinstance(backbone, UpsampledVisionTransformer)
    feats = backbone(torch.randn(2, 3, 128, 96))
    assert len(feats) == 1 and feats[0].shape == (2, 8, 32, 24)  # 8x6 tokens, x4
    assert backbone.out_channels == 8


def test_deconv_names_are_those_of_mmpose_heatmap_head():
    """What lets a ViTPose checkpoint's head.deconv_layers.* load here by name."""
    backbone = MODELS.build(TINY)
    head = HeatmapHead(in_channels=48, out_channels=17, deconv_out_channels=(16, 8),
                       deconv_kernel_sizes=(4, 4))
    ours = {name: value.shape for name, value in backbone.deconv_layers.state_dict().items()}
    theirs = {name: value.shape for name, value in head.deconv_layers.state_dict().items()}
    assert ours == theirs
    assert backbone.single_frame_head_layers == {'deconv_layers': 'deconv_layers'}


def test_token_outputs_refused():
    with pytest.raises(ValueError, match="out_type='featmap'"):
        MODELS.build(dict(TINY, out_type='cls_token'))
