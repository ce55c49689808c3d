"""DCPose-style baseline head (Liu et al., CVPR 2021) on the video-feature dict."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from ..utils import basic_block_chain, deform_aggregate, multi_dilation_deform_convs
from .video_heatmap_head import VideoHeatmapHead

# DCPose's PoseTrack configuration (configs/posetimation/DcPose/posetrack17/model_RSN.yaml).
DCPOSE_DILATIONS = (3, 6, 9, 12, 15)
DCPOSE_PRF_CHANNELS, DCPOSE_PRF_BLOCKS = 34, 2
DCPOSE_PTM_CHANNELS, DCPOSE_PTM_BLOCKS = 17, 1
DCPOSE_COMBINE_CHANNELS, DCPOSE_COMBINE_BLOCKS = 64, 2


def _joint_major(heatmaps: Tensor) -> Tensor:
    """(B, T, K, h, w) -> (B, K*T, h, w) with each joint's T frames adjacent."""
    return heatmaps.transpose(1, 2).flatten(1, 2)


@MODELS.register_module()
class DCPoseHead(VideoHeatmapHead):
    """DCPose baseline: heatmap differences + multi-dilation deformable conv, no DAM/TFF.

    A peer of :class:`SpatioTemporalAggregationHead` on the same backbone, data pipeline
    and losses (no neck needed: it reads only ``frame_feats`` and ``key_frame_index``):

    1. per-frame heatmaps from a shared 1x1 conv (same as :class:`DynamicAwareMask`'s, and
       supervised by ``loss_frames`` the same way);
    2. Pose Residual Fusion (PRF): the differences ``H_t - H_i`` to every support frame,
       joint-major, through a chain of basic blocks;
    3. Pose Temporal Merger (PTM): all frames' heatmaps, joint-major, through a chain of
       basic blocks into a merged keypoint representation;
    4. Pose Correction Network (PCN): PRF and PTM outputs fused by a chain of basic blocks
       predict, per dilation, offsets and modulation masks of a modulated deformable conv
       applied to the PTM output; the results are averaged (DCPose's ``weighted_sum``).

    Differences to DCPose: T frames instead of 3, so PRF takes every support frame's
    difference; DCPose's temporal-distance weights ("margins") are dropped, our frames sit
    at fixed offsets; basic blocks replace RSN's residual steps blocks (DCPose's own
    ``ChainOfBasicBlocks`` alternative); masks go through a sigmoid (DCNv2) rather than
    raw; the backbone is trained with a per-frame loss instead of being frozen.
    The deformable convs start as identity on the PTM channels when ``ptm_channels == K``
    (DCPose/PoseWarper filler init), with zero offsets.

    Why not MMPose's ``PoseWarperNeck``: it needs mmcv's ``DeformConv2d`` (the mmcv built
    here has CPU ops only, so the same config would not run on GPU), takes a list of
    per-frame tensors plus fixed frame weights instead of our dict, and warps heatmaps of a
    20-block residual chain per frame pair; DCPose is also the STDPose authors' own earlier
    model, the closer peer.

    Args:
        in_channels (int): Channels C of the per-frame features.
        out_channels (int): Number of keypoints K. Defaults to 17.
        num_frames (int): Number of frames T. Defaults to 5.
        prf_channels (int): PRF width. Defaults to 34.
        prf_blocks (int): PRF basic blocks. Defaults to 2.
        ptm_channels (int): PTM width (= deformable conv input). Defaults to 17.
        ptm_blocks (int): PTM basic blocks. Defaults to 1.
        combine_channels (int): Width of the PRF+PTM fusion. Defaults to 64.
        combine_blocks (int): Basic blocks of the fusion. Defaults to 2.
        deform_groups (int, optional): Offset groups; must divide ``ptm_channels``.
            Defaults to ``ptm_channels`` (DCPose: one group per joint).
        deform_kernel_size (int): Kernel of the deformable and offset convs. Defaults to 3.
        dilations (Sequence[int]): Dilations. Defaults to DCPose's (3, 6, 9, 12, 15).
        **head_kwargs: ``loss``, ``frame_loss``, ``frame_loss_weight``, ``decoder``,
            ``init_cfg``: see :class:`VideoHeatmapHead`.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 17,
                 num_frames: int = 5,
                 prf_channels: int = DCPOSE_PRF_CHANNELS,
                 prf_blocks: int = DCPOSE_PRF_BLOCKS,
                 ptm_channels: int = DCPOSE_PTM_CHANNELS,
                 ptm_blocks: int = DCPOSE_PTM_BLOCKS,
                 combine_channels: int = DCPOSE_COMBINE_CHANNELS,
                 combine_blocks: int = DCPOSE_COMBINE_BLOCKS,
                 deform_groups: Optional[int] = None,
                 deform_kernel_size: int = 3,
                 dilations: Sequence[int] = DCPOSE_DILATIONS,
                 **head_kwargs) -> None:
        super().__init__(in_channels=in_channels, out_channels=out_channels, **head_kwargs)
        if num_frames < 2:
            raise ValueError(f'DCPoseHead needs support frames, got num_frames={num_frames}')
        if not dilations:
            raise ValueError('dilations must not be empty')
        deform_groups = ptm_channels if deform_groups is None else deform_groups
        self.num_frames = num_frames
        self.dilations = tuple(dilations)

        self.frame_heatmap_layer = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.residual_fusion = basic_block_chain(
            out_channels * (num_frames - 1), prf_channels, prf_blocks)
        self.temporal_merger = basic_block_chain(
            out_channels * num_frames, ptm_channels, ptm_blocks)
        self.combine_layers = basic_block_chain(
            prf_channels + ptm_channels, combine_channels, combine_blocks)
        self.deform_convs, self.offset_mask_convs = multi_dilation_deform_convs(
            ptm_channels, out_channels, combine_channels, self.dilations, deform_kernel_size,
            deform_groups, offset_bias=False)

        nn.init.normal_(self.frame_heatmap_layer.weight, std=0.001)
        nn.init.zeros_(self.frame_heatmap_layer.bias)
        if ptm_channels == out_channels:
            centre = deform_kernel_size // 2
            for deform in self.deform_convs:
                with torch.no_grad():
                    deform.weight.zero_()
                    deform.weight[:, :, centre, centre] = torch.eye(out_channels)

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Key-frame heatmaps (B, K, h, w) and per-frame heatmaps (B, T, K, h, w).

        Args:
            video_feats (dict): Needs ``frame_feats`` (B, T, C, h, w) and
                ``key_frame_index``.
        """
        frame_feats: Tensor = video_feats['frame_feats']
        batch_size, num_frames = frame_feats.shape[:2]
        key_frame_index = int(video_feats['key_frame_index']) % num_frames
        if num_frames != self.num_frames:
            raise ValueError(f'{self.__class__.__name__} was built for {self.num_frames} '
                             f'frames, got {num_frames}')

        frame_heatmaps = self.frame_heatmap_layer(frame_feats.flatten(0, 1)).unflatten(
            0, (batch_size, num_frames))
        key_heatmaps = frame_heatmaps[:, key_frame_index:key_frame_index + 1]
        support_indices = [i for i in range(num_frames) if i != key_frame_index]
        heatmap_differences = key_heatmaps - frame_heatmaps[:, support_indices]

        residual_feats = self.residual_fusion(_joint_major(heatmap_differences))
        merged_heatmaps = self.temporal_merger(_joint_major(frame_heatmaps))
        guidance = self.combine_layers(torch.cat([residual_feats, merged_heatmaps], dim=1))

        aggregated = deform_aggregate(merged_heatmaps, guidance, self.deform_convs,
                                      self.offset_mask_convs)
        return aggregated, frame_heatmaps
