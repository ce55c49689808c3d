"""SpatioTemporal Representation Encoder of STDPose (Jiao et al., AAAI 2025)."""
from typing import Dict, Optional

from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from .temporal_feature_fusion import TemporalFeatureFusion
from .temporal_keypoint_synthesis import TemporalKeypointSynthesis


@MODELS.register_module()
class SpatioTemporalEncoder(BaseModule):
    """Temporal Feature Fusion (TFF) and Temporal Keypoint Synthesis (TKS) side by side.

    Reads the outputs of :class:`DynamicAwareMask` and adds

    - ``temporal_feats`` (B, C', h, w): TFF applied to ``masked_feats``;
    - ``synth_heatmaps`` (B, K, h, w): TKS applied to ``masked_heatmaps``;
    - ``synth_feats`` (B, hidden, h, w): TKS's hidden features, only when TKS is on (not
      used by :class:`SpatioTemporalAggregationHead`; there for inspection).

    Ablations. A switched-off submodule is not built at all (its parameters are gone)
    and its output key is filled by a cheap fallback so the head runs unchanged:

    - ``use_tff=False``: ``temporal_feats`` is the temporal mean of ``masked_feats``
      (uniform, parameter-free fusion, so the ablation isolates the transformer rather than
      temporal information as a whole), passed through a 1x1 conv only if C' != C.
    - ``use_tks=False``: ``synth_heatmaps`` is the key frame's heatmaps, i.e. TKS with a zero
      correction (TKS is built as key-frame heatmaps + learned correction).

    Args:
        in_channels (int): Channels C of the frame features.
        num_keypoints (int): Number of keypoints K. Defaults to 17.
        num_frames (int): Number of frames T. Defaults to 5.
        out_channels (int, optional): Channels C' of ``temporal_feats``. Defaults to
            ``in_channels``.
        use_tff (bool): Build and use TFF. Defaults to ``True``.
        use_tks (bool): Build and use TKS. Defaults to ``True``.
        tff_cfg (dict, optional): Extra keyword arguments of
            :class:`TemporalFeatureFusion` (``embed_dims``, ``patch_size``, ``num_layers``,
            ``num_heads``, ``mlp_ratio``, ``dropout``, ``feat_size``). Defaults to ``None``.
        tks_cfg (dict, optional): Extra keyword arguments of
            :class:`TemporalKeypointSynthesis` (``channels_per_joint``,
            ``hidden_channels``, ``dilations``). Defaults to ``None``.
        init_cfg (dict, optional): MMEngine init config. Defaults to ``None``.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int = 17,
                 num_frames: int = 5,
                 out_channels: Optional[int] = None,
                 use_tff: bool = True,
                 use_tks: bool = True,
                 tff_cfg: Optional[dict] = None,
                 tks_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_keypoints = num_keypoints
        self.num_frames = num_frames
        self.use_tff = use_tff
        self.use_tks = use_tks

        self.temporal_feature_fusion: Optional[TemporalFeatureFusion] = None
        self.fallback_proj: Optional[nn.Module] = None
        if use_tff:
            self.temporal_feature_fusion = TemporalFeatureFusion(
                in_channels=in_channels,
                out_channels=out_channels,
                num_frames=num_frames,
                **(tff_cfg or {}))
        elif out_channels != in_channels:
            self.fallback_proj = nn.Conv2d(in_channels, out_channels, kernel_size=1)

        self.temporal_keypoint_synthesis: Optional[TemporalKeypointSynthesis] = None
        if use_tks:
            self.temporal_keypoint_synthesis = TemporalKeypointSynthesis(
                num_keypoints=num_keypoints, num_frames=num_frames, **(tks_cfg or {}))

    def forward(self, video_feats: Dict) -> Dict:
        """Add ``temporal_feats`` and ``synth_heatmaps`` (and ``synth_feats``).

        Args:
            video_feats (dict): Output of :class:`DynamicAwareMask`; reads
                ``masked_feats`` (B, T, C, h, w), ``masked_heatmaps`` (B, T, K, h, w) and
                ``key_frame_index``.

        Returns:
            dict: A shallow copy of ``video_feats`` with the new keys.
        """
        masked_feats: Tensor = video_feats['masked_feats']
        masked_heatmaps: Tensor = video_feats['masked_heatmaps']
        key_frame_index = int(video_feats['key_frame_index'])
        outputs = dict(video_feats)

        if self.temporal_feature_fusion is not None:
            temporal_feats = self.temporal_feature_fusion(masked_feats, key_frame_index)
        else:
            temporal_feats = masked_feats.mean(dim=1)
            if self.fallback_proj is not None:
                temporal_feats = self.fallback_proj(temporal_feats)
        outputs['temporal_feats'] = temporal_feats

        if self.temporal_keypoint_synthesis is not None:
            synth_heatmaps, synth_feats = self.temporal_keypoint_synthesis(
                masked_heatmaps, key_frame_index)
            outputs['synth_feats'] = synth_feats
        else:
            # Masked key-frame heatmaps are the raw ones (the key frame's mask is 1).
            synth_heatmaps = masked_heatmaps[:, key_frame_index]
        outputs['synth_heatmaps'] = synth_heatmaps
        return outputs

    def forward_key_frame(self, video_feats: Dict) -> Dict:
        """:meth:`forward` at inference, with TFF's last block for the key frame only.

        See :meth:`TemporalFeatureFusion.forward_key_frame`; the outputs equal
        :meth:`forward`'s (up to float rounding).

        Args:
            video_feats (dict): As :meth:`forward`.

        Returns:
            dict: As :meth:`forward`.
        """
        if self.temporal_feature_fusion is None:
            return self.forward(video_feats)
        masked_heatmaps: Tensor = video_feats['masked_heatmaps']
        key_frame_index = int(video_feats['key_frame_index'])
        outputs = dict(video_feats)
        outputs['temporal_feats'] = self.temporal_feature_fusion.forward_key_frame(
            video_feats['masked_feats'], key_frame_index)
        if self.temporal_keypoint_synthesis is not None:
            synth_heatmaps, outputs['synth_feats'] = self.temporal_keypoint_synthesis(
                masked_heatmaps, key_frame_index)
        else:
            synth_heatmaps = masked_heatmaps[:, key_frame_index]
        outputs['synth_heatmaps'] = synth_heatmaps
        return outputs
