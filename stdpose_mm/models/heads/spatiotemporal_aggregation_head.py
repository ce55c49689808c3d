"""Aggregation head of STDPose (Jiao et al., AAAI 2025)."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from ..utils import basic_block_chain, deform_aggregate, multi_dilation_deform_convs
from .video_heatmap_head import VideoHeatmapHead

# Dilations of the deformable convolutions (DCPose-style multi-dilation warping).
DEFAULT_DILATIONS = (3, 6, 9, 12)
@MODELS.register_module()
class SpatioTemporalAggregationHead(VideoHeatmapHead):
    """STDPose aggregation head: DCPose-style multi-dilation deformable aggregation.

    Inputs (from the video features dict, see :class:`DynamicAwareMask` and
    :class:`SpatioTemporalEncoder`):

    - key-frame features ``frame_feats[:, t]`` (B, C, h, w);
    - ``temporal_feats`` (B, C', h, w) from TFF;
    - ``synth_heatmaps`` (B, K, h, w) from TKS;
    - motion residuals ``sum_i |residuals_i|`` (B, K, h, w) over the support frames;
    - optionally ``motion_feats`` (B, M, h, w) if ``motion_feat_channels`` = M > 0.

    They are concatenated and fused by a chain of basic blocks (DCPose's
    ``offset_mask_combine_conv``) into a guidance map. For every dilation d a dilated 3x3
    conv of the guidance predicts offsets and modulation masks (sigmoid, DCNv2) of a
    modulated deformable conv at dilation d; the deformable convs sample the
    *key-frame representation*, the key-frame features concatenated with the TFF
    features (C + C' channels): unlike DCPose, which warps its merged support heatmaps,
    features are warped here, and the TFF features are included because they carry the
    support frames' evidence where the key frame is blurred or occluded, which warping
    the key-frame features alone could not recover. The outputs are averaged over
    dilations (DCPose's ``weighted_sum`` with equal weights), pass BN-ReLU, and a 1x1
    conv gives K heatmaps. With ``synth_residual`` (default) these are a correction added
    to the TKS heatmaps, so the TKS output lies on the output path (as DCPose's merged
    heatmaps do) instead of acting only through the offsets: the head starts as the
    synthesised heatmaps and learns the aggregation. Offset/mask convs start at zero
    (offsets 0, masks 0.5: plain dilated convs, PoseWarper's and DCNv2's init), so the
    guidance only gets gradients after the first update; the final conv uses MMPose's
    std 0.001.

    Args:
        in_channels (int): Channels C of the per-frame backbone features.
        out_channels (int): Number of keypoints K. Defaults to 17.
        temporal_channels (int, optional): Channels C' of ``temporal_feats``.
            Defaults to ``in_channels``.
        motion_feat_channels (int): Channels of ``motion_feats`` to also condition the
            offsets on; 0 ignores them. Defaults to 0.
        guidance_channels (int): Width of the guidance blocks. Defaults to 64 (DCPose's
            ``PRF_PTM_COMBINE_INNER_CH``).
        num_guidance_blocks (int): Basic blocks of the guidance chain. Defaults to 2
            (DCPose's ``PRF_PTM_COMBINE_BASICBLOCK_NUM``).
        deform_channels (int, optional): Output channels of each deformable conv.
            Defaults to ``in_channels``.
        deform_groups (int): Offset groups of the deformable convs; must divide C + C'.
            Defaults to 8.
        deform_kernel_size (int): Kernel of the deformable and offset convs. Defaults to 3.
        dilations (Sequence[int]): One deformable conv per dilation. Defaults to
            (3, 6, 9, 12).
        synth_residual (bool): Add the aggregated heatmaps to ``synth_heatmaps``; if
            ``False`` they are the output on their own. Defaults to ``True``.
        **head_kwargs: ``loss``, ``frame_loss``, ``frame_loss_weight``, ``decoder``,
            ``init_cfg``: see :class:`VideoHeatmapHead`.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 17,
                 temporal_channels: Optional[int] = None,
                 motion_feat_channels: int = 0,
                 guidance_channels: int = 64,
                 num_guidance_blocks: int = 2,
                 deform_channels: Optional[int] = None,
                 deform_groups: int = 8,
                 deform_kernel_size: int = 3,
                 dilations: Sequence[int] = DEFAULT_DILATIONS,
                 synth_residual: bool = True,
                 **head_kwargs) -> None:
        super().__init__(in_channels=in_channels, out_channels=out_channels, **head_kwargs)
        temporal_channels = in_channels if temporal_channels is None else temporal_channels
        deform_channels = in_channels if deform_channels is None else deform_channels
        if not dilations:
            raise ValueError('dilations must not be empty')
        self.temporal_channels = temporal_channels
        self.motion_feat_channels = motion_feat_channels
        self.dilations = tuple(dilations)
        self.synth_residual = synth_residual

        # Guidance: key feats (C) + TFF feats (C') + TKS heatmaps (K) + |R| sum (K) [+ M].
        guidance_in_channels = (in_channels + temporal_channels + 2 * out_channels
                                + motion_feat_channels)
        self.guidance_layers = basic_block_chain(
            guidance_in_channels, guidance_channels, num_guidance_blocks)

        self.deform_convs, self.offset_mask_convs = multi_dilation_deform_convs(
            in_channels + temporal_channels, deform_channels, guidance_channels, self.dilations,
            deform_kernel_size, deform_groups)
        self.fuse_norm = nn.Sequential(nn.BatchNorm2d(deform_channels), nn.ReLU(inplace=True))
        self.final_layer = nn.Conv2d(deform_channels, out_channels, kernel_size=1)

        nn.init.normal_(self.final_layer.weight, std=0.001)
        nn.init.zeros_(self.final_layer.bias)

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Aggregate the key frame's heatmaps.

        Args:
            video_feats (dict): Needs ``frame_feats`` (B, T, C, h, w), ``key_frame_index``,
                ``frame_heatmaps`` and ``residuals`` (B, T, K, h, w), ``temporal_feats``
                (B, C', h, w), ``synth_heatmaps`` (B, K, h, w) and, if
                ``motion_feat_channels`` > 0, ``motion_feats`` (B, M, h, w).

        Returns:
            tuple: key-frame heatmaps (B, K, h, w) and the per-frame heatmaps
            ``video_feats['frame_heatmaps']`` (B, T, K, h, w).
        """
        key_frame_index = int(video_feats['key_frame_index'])
        key_feats = video_feats['frame_feats'][:, key_frame_index]
        temporal_feats = video_feats['temporal_feats']
        # R_t = 0, so summing over all T is the sum over the support frames.
        motion_residuals = video_feats['residuals'].abs().sum(dim=1)

        synth_heatmaps = video_feats['synth_heatmaps']
        guidance_inputs = [key_feats, temporal_feats, synth_heatmaps, motion_residuals]
        if self.motion_feat_channels > 0:
            guidance_inputs.append(video_feats['motion_feats'])
        guidance = self.guidance_layers(torch.cat(guidance_inputs, dim=1))

        key_repr = torch.cat([key_feats, temporal_feats], dim=1)
        aggregated = deform_aggregate(key_repr, guidance, self.deform_convs,
                                      self.offset_mask_convs)

        key_heatmaps = self.final_layer(self.fuse_norm(aggregated))
        if self.synth_residual:
            key_heatmaps = synth_heatmaps + key_heatmaps
        return key_heatmaps, video_feats['frame_heatmaps']
