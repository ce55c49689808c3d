"""Hand-built video data samples for the model tests, as ``PackVideoPoseInputs`` packs them
(see docs/data_contract.md)."""
from typing import List, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

COCO_FLIP_INDICES = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def make_video_data_samples(frame_labeled: torch.Tensor, num_keypoints: int,
                            heatmap_size: Sequence[int], seed: int = 0) -> List[PoseDataSample]:
    """One sample per row of ``frame_labeled`` (B, T): random key and per-frame heatmap
    targets, per-frame weights 1 on labelled frames, the key frame in the middle.

    Args:
        frame_labeled (Tensor): (B, T) 1 where a frame's labels may be used.
        num_keypoints (int): K.
        heatmap_size (Sequence[int]): (h, w) of the heatmaps; inputs are 4x larger.
        seed (int): Seed of the random targets.
    """
    height, width = heatmap_size
    num_frames = frame_labeled.shape[1]
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for labeled in frame_labeled:
        sample = PoseDataSample()
        sample.gt_fields = PixelData(
            heatmaps=torch.rand(num_keypoints, height, width, generator=generator),
            frame_heatmaps=torch.rand(num_frames * num_keypoints, height, width,
                                      generator=generator))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, num_keypoints),
            frame_keypoint_weights=labeled.view(1, num_frames, 1).expand(
                1, num_frames, num_keypoints).clone())
        sample.gt_instances = InstanceData(
            bboxes=np.array([[0., 0., width * 4, height * 4]], dtype=np.float32),
            bbox_centers=np.array([[width * 2, height * 2]], dtype=np.float32),
            bbox_scales=np.array([[width * 4, height * 4]], dtype=np.float32),
            bbox_scores=np.ones(1, dtype=np.float32))
        sample.set_metainfo(dict(
            input_size=(width * 4, height * 4), input_center=np.array([width * 2, height * 2]),
            input_scale=np.array([width * 4, height * 4]), flip_indices=COCO_FLIP_INDICES,
            num_frames=num_frames, key_frame_index=num_frames // 2))
        samples.append(sample)
    return samples
