"""Conditioning on a labelled pose for STDPose's pose propagation."""
from typing import Dict, Optional

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class SourcePoseEncoder(BaseModule):
    """Add a labelled frame's pose, as heatmaps, to that frame's features.

    Pose propagation (STDPose's second task) predicts a person's pose on an unlabelled
    *target* frame from a nearby labelled *source* frame. The source pose enters the model as
    Gaussian heatmaps (the codec's encoding of the labelled keypoints, zero for unlabelled
    joints), is embedded by two 3x3 convolutions to the backbone width and added to the
    source frame's features, so the temporal modules downstream (DAM, TFF/TKS or the
    semantic motion encoder) start from features that say which person, in which pose, is
    to be followed. Choice where the paper is silent: additive conditioning on the source
    frame only (the other frames are the video as it is); the heatmaps are resized to the
    feature size if the codec's differs.

    Args:
        in_channels (int): Channels C of the per-frame features.
        num_keypoints (int): Number of keypoints K. Defaults to 17.
        hidden_channels (int): Width of the embedding's first convolution. Defaults to 64.
        num_input_maps (int, optional): Input maps of the embedding; defaults to K
            (subclasses embed more maps, e.g. :class:`NeighbourPoseEncoder`).
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int = 17,
                 hidden_channels: int = 64,
                 num_input_maps: Optional[int] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_keypoints = num_keypoints
        self.pose_embedding = nn.Sequential(
            ConvModule(num_input_maps or num_keypoints, hidden_channels, 3, padding=1,
                       norm_cfg=dict(type='BN')),
            nn.Conv2d(hidden_channels, in_channels, 3, padding=1))

    def add_to_frame(self, video_feats: Dict, maps: Tensor, frame_index: int) -> Dict:
        """Embed ``maps`` (B, M, h', w') and add them to one frame's features.

        Args:
            video_feats (dict): The video features with ``frame_feats`` (B, T, C, h, w).
            maps (Tensor): Input maps, resized to (h, w) if they differ.
            frame_index (int): The frame whose features receive the embedding.

        Returns:
            dict: A shallow copy with ``frame_feats`` conditioned and
            ``source_pose_embedding`` (B, C, h, w) added.
        """
        frame_feats: Tensor = video_feats['frame_feats']
        frame_index = int(frame_index) % frame_feats.shape[1]
        if maps.shape[-2:] != frame_feats.shape[-2:]:
            maps = F.interpolate(maps, size=frame_feats.shape[-2:], mode='bilinear',
                                 align_corners=False)
        embedding = self.pose_embedding(maps.to(frame_feats.dtype))
        is_frame = frame_feats.new_zeros(1, frame_feats.shape[1], 1, 1, 1)
        is_frame[:, frame_index] = 1
        outputs = dict(video_feats)
        outputs.update(frame_feats=frame_feats + is_frame * embedding.unsqueeze(1),
                       source_pose_embedding=embedding)
        return outputs

    def forward(self, video_feats: Dict) -> Dict:
        """Condition the source frame's features on its pose.

        Args:
            video_feats (dict): The video features with ``frame_feats`` (B, T, C, h, w),
                ``source_heatmaps`` (B, K, h', w') and ``source_frame_index`` (int).

        Returns:
            dict: A shallow copy with ``frame_feats`` replaced by the conditioned features
            and ``source_pose_embedding`` (B, C, h, w) added.
        """
        source_heatmaps: Tensor = video_feats['source_heatmaps']
        if source_heatmaps.shape[1] != self.num_keypoints:
            raise ValueError(f'source_heatmaps has {source_heatmaps.shape[1]} keypoint maps, '
                             f'expected {self.num_keypoints}')
        return self.add_to_frame(video_feats, source_heatmaps,
                                 video_feats['source_frame_index'])
