"""Synthetic PoseTrack18-format videos (pure numpy + OpenCV, no torch / MMPose imports).

Example:
    >>> from stdpose_mm.datasets.synthetic import generate_posetrack
    >>> summary = generate_posetrack('data/synthetic_posetrack', seed=0)
"""
from .generator import (
    CATEGORIES,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_LABEL_STRIDE,
    DEFAULT_NUM_FRAMES,
    DEFAULT_NUM_VIDEOS,
    SPLITS,
    generate_posetrack,
)
from .skeleton import KEYPOINT_NAMES, NUM_KEYPOINTS, SKELETON, UNLABELED_KEYPOINTS

__all__ = [
    'generate_posetrack', 'CATEGORIES', 'KEYPOINT_NAMES', 'NUM_KEYPOINTS', 'SKELETON',
    'UNLABELED_KEYPOINTS', 'SPLITS', 'DEFAULT_NUM_VIDEOS', 'DEFAULT_NUM_FRAMES',
    'DEFAULT_IMAGE_SIZE', 'DEFAULT_LABEL_STRIDE'
]
