"""Aggregation head of STDPose (Jiao et al., AAAI 2025) and the shared video-head base."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor, nn

from ..utils import ModulatedDeformConv2d, basic_block_chain

# Dilations of the deformable convolutions (DCPose-style multi-dilation warping).
DEFAULT_DILATIONS = (3, 6, 9, 12)
# Weight of the per-frame heatmap loss. DCPose, when it trains its HRNet, supervises the
# key frame's rough heatmaps and the refined ones with equal weight.
DEFAULT_FRAME_LOSS_WEIGHT = 1.0


class VideoHeatmapHead(HeatmapHead):
    """Base of the video heads: MMPose's ``HeatmapHead`` interface over a video-feature dict.

    ``predict`` (flip test via ``flip_heatmaps``, codec decoding) is inherited unchanged
    from :class:`HeatmapHead` and runs on :meth:`forward`, which maps the video features
    dict to the key frame's heatmaps (B, K, h, w). ``HeatmapHead.__init__`` is skipped (its
    deconv/final layers would be unused parameters, which DDP rejects): subclasses build
    their own layers after calling this ``__init__``.

    :meth:`loss` returns

    - ``loss_kpt``: key-frame heatmap loss (``loss``, e.g. ``KeypointMSELoss`` with target
      weights) against ``gt_fields.heatmaps`` / ``gt_instance_labels.keypoint_weights``;
    - ``loss_frames``: ``frame_loss_weight`` x per-frame heatmap loss (``frame_loss``)
      against ``gt_fields.frame_heatmaps`` (T*K, h, w) weighted by
      ``gt_instance_labels.frame_keypoint_weights`` (1, T, K), which are zero on
      unlabelled frames, so those frames contribute nothing (the mean still runs over
      all B*T*K heatmaps, as ``KeypointMSELoss`` does over invisible joints);
    - every entry of ``video_feats['aux_losses']`` if present (e.g. from a neck);
    - ``acc_pose``: PCK of the key-frame heatmaps, as :class:`HeatmapHead`.

    Args:
        in_channels (int): Channels C of the per-frame features.
        out_channels (int): Number of keypoints K.
        loss (dict): Key-frame loss config. Defaults to ``KeypointMSELoss`` with target
            weights.
        frame_loss (dict): Per-frame loss config. Defaults to ``KeypointMSELoss`` with
            target weights.
        frame_loss_weight (float): Multiplier of the per-frame loss. Defaults to 1.
        decoder (dict, optional): Codec config used by ``predict``. Defaults to ``None``.
        init_cfg (dict, optional): MMEngine init config. Layers are initialised in
            ``__init__``, so the default is ``None``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss_weight: float = DEFAULT_FRAME_LOSS_WEIGHT,
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        BaseHead.__init__(self, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = MODELS.build(loss)
        self.frame_loss_module = MODELS.build(frame_loss)
        self.frame_loss_weight = float(frame_loss_weight)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Key-frame heatmaps (B, K, h, w) and per-frame heatmaps (B, T, K, h, w)."""
        raise NotImplementedError

    def forward(self, video_feats: Dict) -> Tensor:
        """Key-frame heatmaps (B, K, h, w) from the video features dict."""
        return self.forward_with_frame_heatmaps(video_feats)[0]

    def loss(self,
             video_feats: Dict,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Key-frame, per-frame and auxiliary losses, plus ``acc_pose``.

        Args:
            video_feats (dict): Video features (see ``docs/data_contract.md``).
            batch_data_samples (List[PoseDataSample]): B samples with ``gt_fields``
                ``heatmaps`` (K, h, w) and ``frame_heatmaps`` (T*K, h, w), and
                ``gt_instance_labels`` ``keypoint_weights`` (1, K) and
                ``frame_keypoint_weights`` (1, T, K).
            train_cfg (dict): ``compute_acc`` (default ``True``) toggles ``acc_pose``.

        Returns:
            dict: ``loss_kpt``, ``loss_frames``, the auxiliary losses and ``acc_pose``.
        """
        key_heatmaps, frame_heatmaps = self.forward_with_frame_heatmaps(video_feats)

        gt_heatmaps = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        keypoint_weights = torch.cat(
            [d.gt_instance_labels.keypoint_weights for d in batch_data_samples])
        losses = dict(loss_kpt=self.loss_module(key_heatmaps, gt_heatmaps, keypoint_weights))

        # Per-frame supervision on labelled frames: (B, T*K, h, w) against (B, T*K).
        gt_frame_heatmaps = torch.stack(
            [d.gt_fields.frame_heatmaps for d in batch_data_samples])
        frame_keypoint_weights = torch.cat(
            [d.gt_instance_labels.frame_keypoint_weights for d in batch_data_samples])
        loss_frames = self.frame_loss_module(
            frame_heatmaps.flatten(1, 2), gt_frame_heatmaps, frame_keypoint_weights.flatten(1))
        losses['loss_frames'] = loss_frames * self.frame_loss_weight

        for name, value in (video_feats.get('aux_losses') or {}).items():
            if name in losses:
                raise KeyError(f'auxiliary loss {name!r} clashes with a head loss')
            losses[name] = value

        if train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(key_heatmaps),
                target=to_numpy(gt_heatmaps),
                mask=to_numpy(keypoint_weights) > 0)
            losses['acc_pose'] = torch.tensor(avg_acc, device=gt_heatmaps.device)
        return losses


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
        loss, frame_loss, frame_loss_weight, decoder, init_cfg: See
            :class:`VideoHeatmapHead`.
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
                 loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss_weight: float = DEFAULT_FRAME_LOSS_WEIGHT,
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            loss=loss,
            frame_loss=frame_loss,
            frame_loss_weight=frame_loss_weight,
            decoder=decoder,
            init_cfg=init_cfg)
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

        key_repr_channels = in_channels + temporal_channels
        self.deform_convs = nn.ModuleList([
            ModulatedDeformConv2d(key_repr_channels, deform_channels, deform_kernel_size,
                                  dilation=dilation, deform_groups=deform_groups)
            for dilation in self.dilations
        ])
        # One conv per dilation predicts offsets and modulation together (DCPose's
        # offsets_list / masks_list, merged).
        self.offset_mask_convs = nn.ModuleList([
            nn.Conv2d(guidance_channels, deform.offset_channels + deform.mask_channels,
                      kernel_size=deform_kernel_size, padding=dilation * (deform_kernel_size // 2),
                      dilation=dilation)
            for dilation, deform in zip(self.dilations, self.deform_convs)
        ])
        self.fuse_norm = nn.Sequential(nn.BatchNorm2d(deform_channels), nn.ReLU(inplace=True))
        self.final_layer = nn.Conv2d(deform_channels, out_channels, kernel_size=1)

        for conv in self.offset_mask_convs:
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
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
        aggregated = 0
        for offset_mask_conv, deform_conv in zip(self.offset_mask_convs, self.deform_convs):
            offsets, modulation = offset_mask_conv(guidance).split(
                [deform_conv.offset_channels, deform_conv.mask_channels], dim=1)
            aggregated = aggregated + deform_conv(key_repr, offsets, modulation.sigmoid())
        aggregated = aggregated / len(self.deform_convs)

        key_heatmaps = self.final_layer(self.fuse_norm(aggregated))
        if self.synth_residual:
            key_heatmaps = synth_heatmaps + key_heatmaps
        return key_heatmaps, video_feats['frame_heatmaps']
