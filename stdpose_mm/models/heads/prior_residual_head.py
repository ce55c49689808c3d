"""A video head that predicts a correction of a prior pose (bidirectional propagation)."""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType
from torch import Tensor, nn

from .video_heatmap_head import VideoHeatmapHead


@MODELS.register_module()
class PriorResidualHead(VideoHeatmapHead):
    """Key-frame heatmaps = the prior heatmaps + a zero-initialised correction.

    ``head`` (any :class:`VideoHeatmapHead`, e.g. STDPose's
    :class:`SpatioTemporalAggregationHead`) predicts the key frame's heatmaps from the video
    features; a 3x3 convolution of them together with ``video_feats['prior_heatmaps']``
    (B, K, h, w) gives the correction. That convolution starts at zero (weights and bias),
    so the untrained model outputs the prior exactly (for the propagation model: linear
    interpolation, heatmap for heatmap), and training moves away from it only where the
    images say so. The per-frame heatmaps of ``head`` keep their own supervision
    (``loss_frames``).

    Args:
        head (dict): Config of the inner video head (its ``in_channels`` is this head's).
        out_channels (int): Number of keypoints K. Defaults to 17.
        **head_kwargs: ``loss``, ``frame_loss``, ``frame_loss_weight``, ``decoder``,
            ``init_cfg``: see :class:`VideoHeatmapHead`.
    """

    def __init__(self,
                 head: ConfigType,
                 out_channels: int = 17,
                 **head_kwargs) -> None:
        super().__init__(in_channels=head['in_channels'], out_channels=out_channels,
                         **head_kwargs)
        self.head = MODELS.build(head)
        self.residual_layer = nn.Conv2d(2 * out_channels, out_channels, 3, padding=1)
        self._zero_residual()

    def _zero_residual(self) -> None:
        nn.init.zeros_(self.residual_layer.weight)
        nn.init.zeros_(self.residual_layer.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._zero_residual()  # whatever an init_cfg did, the model starts at the prior

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Prior + correction (B, K, h, w) and the inner head's per-frame heatmaps.

        Args:
            video_feats (dict): The inner head's inputs plus ``prior_heatmaps``
                (B, K, h', w').

        Returns:
            tuple: Key-frame heatmaps (B, K, h, w), per-frame heatmaps (B, T, K, h, w).
        """
        if 'prior_heatmaps' not in video_feats:
            raise KeyError(f'{type(self).__name__} needs video_feats["prior_heatmaps"] '
                           '(GenerateNeighbourHeatmaps + BidirectionalPropagationEstimator)')
        key_heatmaps, frame_heatmaps = self.head.forward_with_frame_heatmaps(video_feats)
        prior = video_feats['prior_heatmaps'].to(key_heatmaps.dtype)
        if prior.shape[-2:] != key_heatmaps.shape[-2:]:
            prior = F.interpolate(prior, size=key_heatmaps.shape[-2:], mode='bilinear',
                                  align_corners=False)
        residual = self.residual_layer(torch.cat([key_heatmaps, prior], dim=1))
        return prior + residual, frame_heatmaps
