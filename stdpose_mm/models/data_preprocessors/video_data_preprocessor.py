"""Batching and normalising T-frame inputs."""
from typing import Optional, Sequence

import torch
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.registry import MODELS


@MODELS.register_module()
class VideoPoseDataPreprocessor(PoseDataPreprocessor):
    """Stack per-sample (T, 3, H, W) frames into (B, T, 3, H, W), BGR->RGB, normalise.

    MMPose's preprocessor handles (3, H, W) samples; samples of that shape still go to it, so
    one config can serve single-frame and multi-frame models.

    Args:
        mean (Sequence[float]): Per-channel mean (after channel conversion).
        std (Sequence[float]): Per-channel std.
        bgr_to_rgb (bool): Flip the channel order (frames are read as BGR).
        **kwargs: Other :class:`mmpose.models.PoseDataPreprocessor` arguments.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: bool = False,
                 **kwargs) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, **kwargs)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs[0]
        if first.dim() != 4:
            return super().forward(data, training=training)
        data = self.cast_data(data)
        batch_inputs = data['inputs']
        if isinstance(batch_inputs, (list, tuple)):
            batch_inputs = torch.stack(list(batch_inputs))
        batch_inputs = batch_inputs.float()  # (B, T, 3, H, W)
        if self._channel_conversion:
            batch_inputs = batch_inputs[:, :, [2, 1, 0]]
        if self._enable_normalize:
            batch_inputs = (batch_inputs - self.mean.view(1, 1, -1, 1, 1)) / \
                self.std.view(1, 1, -1, 1, 1)
        return dict(inputs=batch_inputs, data_samples=data.get('data_samples'))
