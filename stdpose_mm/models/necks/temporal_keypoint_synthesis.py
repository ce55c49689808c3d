"""Temporal Keypoint Synthesis (TKS), the convolutional half of STDPose's encoder."""
from typing import Optional, Sequence, Tuple

from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn


class _DilatedResidualBlock(nn.Module):
    """3x3 conv-BN-ReLU-3x3 conv-BN plus identity, then ReLU, at a given dilation."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(x + self.body(x))


@MODELS.register_module()
class TemporalKeypointSynthesis(BaseModule):
    """Fuse the (masked) heatmaps of all frames into synthesised key-frame heatmaps.

    Following DCPose's Pose Temporal Merger (its grouped variant), the T*K heatmaps are
    arranged joint-major (for each joint, its T frames side by side) and a 3x3 conv with
    ``groups=K`` first fuses each joint over time on its own. Plain dilated residual blocks
    then mix joints (skeletal context) with a growing receptive field, so a joint can be
    gathered from where it sat in a distant support frame. A 1x1 conv predicts a correction
    that is added to the key frame's heatmaps: the synthesis starts as the key-frame
    heatmaps (final conv initialised with std 0.001, as MMPose's heatmap heads) and learns
    what the supports add (a choice of ours, the paper gives no layer details).

    Args:
        num_keypoints (int): Number of keypoints K. Defaults to 17.
        num_frames (int): Number of frames T. Defaults to 5.
        channels_per_joint (int): Channels per joint after the grouped temporal conv.
            Defaults to 4.
        hidden_channels (int): Width of the joint-mixing blocks. Defaults to 64.
        dilations (Sequence[int]): One residual block per entry, at that dilation.
            Defaults to (1, 2, 3): with the two convs before them, a receptive field
            of 29 heatmap pixels (about a quarter of a 64x48 heatmap's height).
        init_cfg (dict, optional): MMEngine init config. Defaults to ``None``.
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 num_frames: int = 5,
                 channels_per_joint: int = 4,
                 hidden_channels: int = 64,
                 dilations: Sequence[int] = (1, 2, 3),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_keypoints = num_keypoints
        self.num_frames = num_frames
        self.hidden_channels = hidden_channels

        joint_channels = num_keypoints * channels_per_joint
        self.joint_temporal_conv = nn.Sequential(
            nn.Conv2d(num_keypoints * num_frames, joint_channels, kernel_size=3, padding=1,
                      groups=num_keypoints, bias=False),
            nn.BatchNorm2d(joint_channels),
            nn.ReLU(inplace=True))
        self.joint_mixing = nn.Sequential(
            nn.Conv2d(joint_channels, hidden_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(hidden_channels),
            nn.ReLU(inplace=True),
            *[_DilatedResidualBlock(hidden_channels, dilation) for dilation in dilations])
        self.final_layer = nn.Conv2d(hidden_channels, num_keypoints, kernel_size=1)
        nn.init.normal_(self.final_layer.weight, std=0.001)
        nn.init.zeros_(self.final_layer.bias)

    def forward(self, frame_heatmaps: Tensor, key_frame_index: int) -> Tuple[Tensor, Tensor]:
        """Synthesise the key frame's heatmaps from all frames.

        Args:
            frame_heatmaps (Tensor): (B, T, K, h, w) (masked) per-frame heatmaps.
            key_frame_index (int): Position of the key frame in T.

        Returns:
            tuple:
            - synth_heatmaps (Tensor): (B, K, h, w) synthesised keypoint representation.
            - synth_feats (Tensor): (B, hidden_channels, h, w) hidden features.
        """
        num_frames, num_keypoints = frame_heatmaps.shape[1:3]
        if (num_frames, num_keypoints) != (self.num_frames, self.num_keypoints):
            raise ValueError(
                f'{self.__class__.__name__} was built for T={self.num_frames}, '
                f'K={self.num_keypoints}, got T={num_frames}, K={num_keypoints}')
        # Joint-major (B, K*T, h, w): channel group k holds joint k in every frame.
        joint_major = frame_heatmaps.transpose(1, 2).flatten(1, 2)
        synth_feats = self.joint_mixing(self.joint_temporal_conv(joint_major))
        synth_heatmaps = frame_heatmaps[:, key_frame_index] + self.final_layer(synth_feats)
        return synth_heatmaps, synth_feats
