"""Spatial-Motion Mutual Learning (SMML) head of Feng & Chen."""
import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptSampleList
from torch import Tensor, nn

from ..utils import CrossAttentionBlock, sincos_position_encoding_2d
from .video_heatmap_head import VideoHeatmapHead

# ---- our choices where the paper is silent (named so configs can set them) ----
DEFAULT_EMBED_DIMS = 256  # = the motion encoder's width, so S and M meet at one size
DEFAULT_NUM_HEADS = 8  # as the motion encoder
DEFAULT_NUM_LAYERS = 1
# Keys/values are average-pooled by this stride: at 96x72 each of the 6912 queries attends
# to 24x18 = 432 pooled tokens instead of 6912 (a 16x smaller attention matrix).
DEFAULT_ATTN_STRIDE = 4
DEFAULT_NUM_DECODER_CONVS = 2
DEFAULT_LAMBDA_POSE = 0.5  # weight of the MLSME pose reconstruction loss (ours)
FUSION_MODES = ('mutual', 'sum', 'concat')
HEATMAP_OUT_INIT_STD = 0.001  # MMPose's init of the final heatmap conv


class MutualAttentionLayer(nn.Module):
    """One bidirectional layer: ``S' = S + Attn(q=S, kv=M)``, ``M' = M + Attn(q=M, kv=S)``.

    Both directions read the layer's inputs (S and M are updated simultaneously), each
    followed by its own LayerNorm + FFN (:class:`CrossAttentionBlock`, pre-norm). Queries
    are all h*w pixels; keys/values are the other modality average-pooled by
    ``attn_stride``. Fixed 2D sine-cosine position encodings (queries at pixel
    coordinates, pooled keys at their cell centres in the same coordinates) are added to
    queries and keys, so attention can relate positions.

    Args:
        embed_dims (int): Channels d of S and M.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN width over d.
        attn_stride (int): Pooling stride of keys/values (1 = full attention).
        dropout (float): Dropout.
    """

    def __init__(self, embed_dims: int, num_heads: int, mlp_ratio: float, attn_stride: int,
                 dropout: float) -> None:
        super().__init__()
        self.attn_stride = attn_stride
        self.spatial_from_motion = CrossAttentionBlock(embed_dims, num_heads, mlp_ratio, dropout)
        self.motion_from_spatial = CrossAttentionBlock(embed_dims, num_heads, mlp_ratio, dropout)

    def _context(self, maps: Tensor) -> Tuple[Tensor, Tensor]:
        """Pooled key/value tokens (B, L', d) and their position encoding (1, L', d)."""
        height, width = maps.shape[-2:]
        pooled_size = (math.ceil(height / self.attn_stride), math.ceil(width / self.attn_stride))
        if pooled_size != (height, width):
            maps = F.adaptive_avg_pool2d(maps, pooled_size)
        pos = sincos_position_encoding_2d(
            *pooled_size, maps.shape[1], cell_size=(height / pooled_size[0],
                                                    width / pooled_size[1]),
            device=maps.device, dtype=maps.dtype)
        return maps.flatten(2).transpose(1, 2), pos.unsqueeze(0)

    def forward(self, spatial: Tensor, motion: Tensor) -> Tuple[Tensor, Tensor]:
        """Args:
            spatial (Tensor): S (B, d, h, w).
            motion (Tensor): M (B, d, h, w).

        Returns:
            tuple: S' and M', (B, d, h, w) each.
        """
        batch_size, dims, height, width = spatial.shape
        query_pos = sincos_position_encoding_2d(
            height, width, dims, device=spatial.device, dtype=spatial.dtype).unsqueeze(0)
        spatial_context, context_pos = self._context(spatial)
        motion_context, _ = self._context(motion)
        spatial_tokens = spatial.flatten(2).transpose(1, 2)
        motion_tokens = motion.flatten(2).transpose(1, 2)
        new_spatial = self.spatial_from_motion(spatial_tokens, motion_context, query_pos,
                                               context_pos)
        new_motion = self.motion_from_spatial(motion_tokens, spatial_context, query_pos,
                                              context_pos)
        return (new_spatial.transpose(1, 2).reshape(batch_size, dims, height, width),
                new_motion.transpose(1, 2).reshape(batch_size, dims, height, width))


@MODELS.register_module()
class MutualLearningHead(VideoHeatmapHead):
    """Spatial-Motion Mutual Learning (SMML, Feng & Chen): key-frame heatmaps from the key
    frame's spatial features and the motion features of :class:`SemanticMotionEncoder`.

    1. **Projection.** S = 1x1 conv of the key frame's ``frame_feats`` (C -> d), or, with
       ``temporal_channels`` = C' > 0, of the key frame's features concatenated with
       STDPose's TFF ``temporal_feats`` (C + C' -> d; the key representation STDPose's
       aggregation head warps), and M = 1x1 conv of ``motion_feats`` (C_m -> d),
       (B, d, h, w) each.
    2. **Mutual learning** (``cross_attention``): ``num_layers`` bidirectional
       cross-attention layers (:class:`MutualAttentionLayer`), ``S' = S + Attn(q=S, kv=M)``
       and ``M' = M + Attn(q=M, kv=S)``, each with LayerNorm + FFN, over the flattened
       h*w tokens. Full attention would be (h*w)^2 (6912^2 at 96x72), so keys/values are
       average-pooled by ``attn_stride`` (queries keep full resolution). With
       ``cross_attention=False`` no layer is built and S' = S, M' = M.
    3. **Fusion** (``fusion``):

       - ``'mutual'``: learned pixel-wise weights, a 1x1 conv on [S'; M'] gives 2 maps,
         softmax over the two modalities at each pixel, ``F = w_s * S' + w_m * M'``. The
         conv starts at zero (equal weights 0.5). The weights of the last forward are
         kept, detached, in :attr:`last_fusion_weights` (B, 2, h, w) (channel 0 spatial,
         1 motion).
       - ``'sum'``: ``F = S' + M'`` (no fusion parameters);
       - ``'concat'``: ``F = 1x1 conv([S'; M'])`` (2d -> d).

       ``'sum'``/``'concat'`` keep the cross-attention (switch it off separately), so
       each ablation removes one thing.
    4. **Decoder**: ``num_decoder_convs`` 3x3 conv-BN-ReLU (``decoder_channels``) and a
       1x1 conv to K heatmaps (std 0.001, MMPose's init). With ``synth_residual`` they are
       a correction added to STDPose's TKS ``synth_heatmaps`` (B, K, h, w), as in
       :class:`SpatioTemporalAggregationHead`: the head starts as the synthesised
       heatmaps and learns what mutual learning adds.

    Loss: :meth:`VideoHeatmapHead.loss` (key-frame MSE ``loss_kpt``, per-frame
    ``loss_frames`` on the DAM's ``frame_heatmaps``, the neck's ``aux_losses``, e.g. the
    context reconstruction, and ``acc_pose``) plus, when the neck put
    ``pose_recon_heatmaps`` (B, T, K, h, w) in the dict (training with pose
    reconstruction), ``loss_pose_recon`` = ``lambda_pose`` x ``pose_recon_loss`` against the
    per-frame GT heatmaps weighted by ``frame_keypoint_weights``: every labelled frame is
    supervised, the key frame and masked support frames included.

    Args:
        in_channels (int): Channels C of the per-frame features ``frame_feats``.
        out_channels (int): Number of keypoints K. Defaults to 17.
        motion_channels (int, optional): Channels C_m of ``motion_feats``. Defaults to
            ``embed_dims``.
        temporal_channels (int): Channels C' of ``temporal_feats`` (STDPose's TFF) joined
            to the spatial stream; 0 uses the key frame's features alone. Defaults to 0.
        synth_residual (bool): Add the output to ``synth_heatmaps`` (STDPose's TKS).
            Defaults to ``False``.
        embed_dims (int): Width d of S and M. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        num_layers (int): Mutual cross-attention layers (1 or 2 in the paper). Defaults
            to 1.
        mlp_ratio (float): FFN width over d. Defaults to 4.
        attn_stride (int): Pooling stride of keys/values. Defaults to 4.
        dropout (float): Dropout in the attention layers. Defaults to 0.
        cross_attention (bool): Build the mutual cross-attention. Defaults to ``True``.
        fusion (str): ``'mutual'``, ``'sum'`` or ``'concat'``. Defaults to ``'mutual'``.
        decoder_channels (int, optional): Width of the decoder convs. Defaults to
            ``embed_dims``.
        num_decoder_convs (int): 3x3 conv-BN-ReLU blocks of the decoder. Defaults to 2.
        lambda_pose (float): Weight of the pose reconstruction loss; 0 skips it.
            Defaults to 0.5.
        pose_recon_loss (dict): Pose reconstruction loss config. Defaults to
            ``KeypointMSELoss`` with target weights.
        **head_kwargs: ``loss``, ``frame_loss``, ``frame_loss_weight``, ``decoder``,
            ``init_cfg``: see :class:`VideoHeatmapHead`.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 17,
                 motion_channels: Optional[int] = None,
                 temporal_channels: int = 0,
                 synth_residual: bool = False,
                 embed_dims: int = DEFAULT_EMBED_DIMS,
                 num_heads: int = DEFAULT_NUM_HEADS,
                 num_layers: int = DEFAULT_NUM_LAYERS,
                 mlp_ratio: float = 4.0,
                 attn_stride: int = DEFAULT_ATTN_STRIDE,
                 dropout: float = 0.0,
                 cross_attention: bool = True,
                 fusion: str = 'mutual',
                 decoder_channels: Optional[int] = None,
                 num_decoder_convs: int = DEFAULT_NUM_DECODER_CONVS,
                 lambda_pose: float = DEFAULT_LAMBDA_POSE,
                 pose_recon_loss: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 **head_kwargs) -> None:
        super().__init__(in_channels=in_channels, out_channels=out_channels, **head_kwargs)
        if fusion not in FUSION_MODES:
            raise ValueError(f'fusion must be one of {FUSION_MODES}, got {fusion!r}')
        if attn_stride < 1:
            raise ValueError(f'attn_stride must be >= 1, got {attn_stride}')
        motion_channels = embed_dims if motion_channels is None else motion_channels
        decoder_channels = embed_dims if decoder_channels is None else decoder_channels
        self.motion_channels = motion_channels
        self.temporal_channels = temporal_channels
        self.synth_residual = synth_residual
        self.embed_dims = embed_dims
        self.cross_attention = cross_attention
        self.fusion = fusion
        self.lambda_pose = float(lambda_pose)
        self.pose_recon_loss_module = MODELS.build(pose_recon_loss)

        self.spatial_proj = nn.Conv2d(in_channels + temporal_channels, embed_dims,
                                      kernel_size=1)
        self.motion_proj = nn.Conv2d(motion_channels, embed_dims, kernel_size=1)

        self.mutual_layers: Optional[nn.ModuleList] = None
        if cross_attention:
            self.mutual_layers = nn.ModuleList([
                MutualAttentionLayer(embed_dims, num_heads, mlp_ratio, attn_stride, dropout)
                for _ in range(num_layers)
            ])

        self.fusion_weight_conv: Optional[nn.Conv2d] = None
        self.fusion_proj: Optional[nn.Conv2d] = None
        if fusion == 'mutual':
            self.fusion_weight_conv = nn.Conv2d(2 * embed_dims, 2, kernel_size=1)
            # Zero init: both modalities start with weight 0.5 at every pixel.
            nn.init.zeros_(self.fusion_weight_conv.weight)
            nn.init.zeros_(self.fusion_weight_conv.bias)
        elif fusion == 'concat':
            self.fusion_proj = nn.Conv2d(2 * embed_dims, embed_dims, kernel_size=1)
        self.last_fusion_weights: Optional[Tensor] = None

        decoder_layers = []
        for index in range(num_decoder_convs):
            decoder_layers += [
                nn.Conv2d(embed_dims if index == 0 else decoder_channels, decoder_channels, 3,
                          padding=1, bias=False),
                nn.BatchNorm2d(decoder_channels),
                nn.ReLU(inplace=True)
            ]
        self.decoder_layers = nn.Sequential(*decoder_layers)
        self.final_layer = nn.Conv2d(decoder_channels if num_decoder_convs else embed_dims,
                                     out_channels, kernel_size=1)
        nn.init.normal_(self.final_layer.weight, std=HEATMAP_OUT_INIT_STD)
        nn.init.zeros_(self.final_layer.bias)

    def fusion_weights(self, spatial: Tensor, motion: Tensor) -> Tensor:
        """Pixel-wise modality weights of ``fusion='mutual'``.

        Args:
            spatial (Tensor): S' (B, d, h, w).
            motion (Tensor): M' (B, d, h, w).

        Returns:
            Tensor: (B, 2, h, w), softmax over dim 1 (0: spatial, 1: motion).
        """
        if self.fusion_weight_conv is None:
            raise RuntimeError(f"fusion weights exist only with fusion='mutual', "
                               f'not {self.fusion!r}')
        return self.fusion_weight_conv(torch.cat([spatial, motion], dim=1)).softmax(dim=1)

    def fuse(self, spatial: Tensor, motion: Tensor) -> Tensor:
        """Fuse S' and M' (B, d, h, w) into F (B, d, h, w) as ``fusion`` says."""
        if self.fusion == 'mutual':
            weights = self.fusion_weights(spatial, motion)
            self.last_fusion_weights = weights.detach()
            return weights[:, :1] * spatial + weights[:, 1:] * motion
        if self.fusion == 'sum':
            return spatial + motion
        return self.fusion_proj(torch.cat([spatial, motion], dim=1))

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Key-frame heatmaps from spatial and motion features.

        Args:
            video_feats (dict): Needs ``frame_feats`` (B, T, C, h, w), ``key_frame_index``,
                ``motion_feats`` (B, C_m, h, w) and ``frame_heatmaps`` (B, T, K, h, w);
                ``temporal_feats`` (B, C', h, w) if ``temporal_channels`` > 0 and
                ``synth_heatmaps`` (B, K, h, w) if ``synth_residual``.

        Returns:
            tuple: key-frame heatmaps (B, K, h, w) and the per-frame heatmaps
            ``video_feats['frame_heatmaps']`` (B, T, K, h, w).
        """
        frame_feats = video_feats['frame_feats']
        key_frame_index = int(video_feats['key_frame_index']) % frame_feats.shape[1]
        key_repr = frame_feats[:, key_frame_index]
        if self.temporal_channels > 0:
            key_repr = torch.cat([key_repr, video_feats['temporal_feats']], dim=1)
        spatial = self.spatial_proj(key_repr)
        motion = self.motion_proj(video_feats['motion_feats'])
        for layer in self.mutual_layers or ():
            spatial, motion = layer(spatial, motion)
        fused = self.fuse(spatial, motion)
        key_heatmaps = self.final_layer(self.decoder_layers(fused))
        if self.synth_residual:
            key_heatmaps = video_feats['synth_heatmaps'] + key_heatmaps
        return key_heatmaps, video_feats['frame_heatmaps']

    def loss(self,
             video_feats: Dict,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """:meth:`VideoHeatmapHead.loss` plus ``loss_pose_recon`` when the neck gave
        ``pose_recon_heatmaps`` (B, T, K, h, w) and ``lambda_pose`` > 0.

        Args:
            video_feats (dict): Video features (see ``docs/data_contract.md``).
            batch_data_samples (List[PoseDataSample]): As :meth:`VideoHeatmapHead.loss`.
            train_cfg (dict): As :meth:`VideoHeatmapHead.loss`.

        Returns:
            dict: The losses and ``acc_pose``.
        """
        losses = super().loss(video_feats, batch_data_samples, train_cfg)
        pose_recon_heatmaps = video_feats.get('pose_recon_heatmaps')
        if pose_recon_heatmaps is None or self.lambda_pose <= 0:
            return losses
        if 'loss_pose_recon' in losses:
            raise KeyError("auxiliary loss 'loss_pose_recon' clashes with the head's")
        # (B, T*K, h, w) against the per-frame GT, zero weight on unlabelled frames.
        gt_frame_heatmaps = torch.stack(
            [d.gt_fields.frame_heatmaps for d in batch_data_samples])
        frame_keypoint_weights = torch.cat(
            [d.gt_instance_labels.frame_keypoint_weights for d in batch_data_samples])
        losses['loss_pose_recon'] = self.lambda_pose * self.pose_recon_loss_module(
            pose_recon_heatmaps.flatten(1, 2), gt_frame_heatmaps,
            frame_keypoint_weights.flatten(1))
        return losses
