"""A plain ViT (mmpretrain's) whose patch tokens ViTPose's deconvolutions upsample per frame."""
from typing import Optional, Sequence, Tuple

from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpretrain.models import VisionTransformer
from torch import Tensor, nn

# MMPose's HeatmapHead init for its deconvolutions (ViTPose trains them from this).
DECONV_INIT_STD = 0.001


@MODELS.register_module()
class UpsampledVisionTransformer(VisionTransformer):
    """mmpretrain's ``VisionTransformer`` followed by ViTPose's per-frame deconvolutions.

    ViTPose (MMPose's ``td-hm_ViTPose-*`` configs) is this ViT and a ``HeatmapHead`` whose
    two stride-2 deconvolutions bring the stride-16 patch tokens to the 1/4-resolution
    heatmap grid (256x192 input: 16x12 tokens -> 64x48). The video models' necks and heads
    work on that grid, so the deconvolutions belong to the per-frame pass: here they run
    inside the backbone, on every frame once, and whatever caches backbone outputs (the
    video inferencer) caches the upsampled maps. See ``docs/vit_backbone.md`` for the cost
    of this route against running the temporal modules on the tokens.

    Parameter names are the ViT's own (``backbone.layers.N.*``, as MMPose's ViTPose
    checkpoints and ``LayerDecayOptimWrapperConstructor`` expect) plus ``deconv_layers``,
    built by :class:`mmpose.models.heads.HeatmapHead` itself so its indices are the
    checkpoint's (``head.deconv_layers.{0,1,3,4}``). The class declares
    ``single_frame_head_layers``: a single-frame ViTPose checkpoint's ``head.deconv_layers``
    loads here (``VideoTopdownPoseEstimator``'s load hook).

    Args:
        deconv_out_channels (Sequence[int]): Output channels of each deconvolution.
            Defaults to (256, 256) (ViTPose-B/L/H).
        deconv_kernel_sizes (Sequence[int]): Kernel size of each. Defaults to (4, 4).
        **kwargs: :class:`mmpretrain.models.VisionTransformer`'s arguments (``arch``,
            ``img_size``, ``patch_size``, ``out_type`` must be ``'featmap'``, ...).
    """

    # Single-frame ``HeatmapHead`` layer -> this module's layer (pretrained loading).
    single_frame_head_layers = {'deconv_layers': 'deconv_layers'}

    def __init__(self,
                 deconv_out_channels: Sequence[int] = (256, 256),
                 deconv_kernel_sizes: Sequence[int] = (4, 4),
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if kwargs.get('out_type', 'cls_token') != 'featmap':
            raise ValueError(f"{type(self).__name__} upsamples feature maps: set "
                             f"out_type='featmap', got {kwargs.get('out_type', 'cls_token')!r}")
        super().__init__(init_cfg=init_cfg, **kwargs)
        # HeatmapHead builds the stack (ConvTranspose2d, BN, ReLU per stage) with the names
        # of MMPose's checkpoints; its other layers are not kept.
        self.deconv_layers = HeatmapHead(
            in_channels=self.embed_dims,
            out_channels=1,
            deconv_out_channels=tuple(deconv_out_channels),
            deconv_kernel_sizes=tuple(deconv_kernel_sizes),
            final_layer=None).deconv_layers
        self.out_channels = deconv_out_channels[-1]
        for layer in self.deconv_layers.modules():
            if isinstance(layer, nn.ConvTranspose2d):
                nn.init.normal_(layer.weight, std=DECONV_INIT_STD)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Tokens of every requested layer, the last one upsampled.

        Args:
            inputs (Tensor): Images (N, 3, H, W).

        Returns:
            tuple: The ViT's feature maps (N, D, H/p, W/p), the last replaced by its
            upsampled version (N, C, H/p * 2^s, W/p * 2^s) for s deconvolutions.
        """
        outs = list(super().forward(inputs))
        outs[-1] = self.deconv_layers(outs[-1])
        return tuple(outs)
