"""Conditioning on both labelled neighbours, for the bidirectional propagation model."""
from typing import Dict

import torch
from mmpose.registry import MODELS
from torch import Tensor

from .source_pose_encoder import SourcePoseEncoder

# Constant input maps describing the neighbours: present before/after, |distance| / scale.
NUM_DISTANCE_MAPS = 4


@MODELS.register_module()
class NeighbourPoseEncoder(SourcePoseEncoder):
    """Add both labelled neighbours' poses, their distances and the prior to the target.

    The target frame (the key frame) of the bidirectional propagation model receives one
    embedding (:meth:`SourcePoseEncoder.add_to_frame`) of: the labelled poses before and
    after it as heatmaps (``neighbour_heatmaps`` (B, 2K, h, w), all-zero for a missing
    side), the interpolated prior (``prior_heatmaps`` (B, K, h, w)) and four constant maps
    encoding the *real* frame distances, not window slots: whether each side is present
    and ``|offset| / distance_scale`` per side (``neighbour_offsets`` (B, 2) in frames,
    ``neighbour_present`` (B, 2)). The other frames stay the video as it is; the temporal
    necks downstream (DAM, STDPose encoder) then relate the conditioned target to them.

    Args:
        in_channels (int): Channels C of the per-frame features.
        num_keypoints (int): Number of keypoints K. Defaults to 17.
        hidden_channels (int): Width of the embedding's first convolution. Defaults to 64.
        distance_scale (float): Frames mapped to 1 in the distance maps. Defaults to 8
            (distances of use: 1..6 frames for every 4th or 7th frame labelled).
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int = 17,
                 hidden_channels: int = 64,
                 distance_scale: float = 8.0,
                 init_cfg=None):
        super().__init__(in_channels, num_keypoints, hidden_channels,
                         num_input_maps=3 * num_keypoints + NUM_DISTANCE_MAPS,
                         init_cfg=init_cfg)
        self.distance_scale = float(distance_scale)

    def forward(self, video_feats: Dict) -> Dict:
        """Condition the key frame's features on its labelled neighbours.

        Args:
            video_feats (dict): With ``frame_feats`` (B, T, C, h, w), ``key_frame_index``,
                ``neighbour_heatmaps`` (B, 2K, h', w'), ``prior_heatmaps`` (B, K, h', w'),
                ``neighbour_offsets`` (B, 2) and ``neighbour_present`` (B, 2).

        Returns:
            dict: A shallow copy with ``frame_feats`` conditioned and
            ``source_pose_embedding`` (B, C, h, w) added.
        """
        neighbours: Tensor = video_feats['neighbour_heatmaps']
        prior: Tensor = video_feats['prior_heatmaps']
        if neighbours.shape[1] != 2 * self.num_keypoints or \
                prior.shape[1] != self.num_keypoints:
            raise ValueError(f'neighbour_heatmaps / prior_heatmaps have {neighbours.shape[1]}'
                             f' / {prior.shape[1]} maps, expected {2 * self.num_keypoints} / '
                             f'{self.num_keypoints}')
        offsets = video_feats['neighbour_offsets'].reshape(-1, 2).to(prior.dtype)
        present = video_feats['neighbour_present'].reshape(-1, 2).to(prior.dtype)
        distances = torch.cat([present, present * offsets.abs() / self.distance_scale], 1)
        distance_maps = distances[:, :, None, None].expand(-1, -1, *prior.shape[-2:])
        maps = torch.cat([neighbours, prior, distance_maps], dim=1)
        return self.add_to_frame(video_feats, maps, video_feats['key_frame_index'])
