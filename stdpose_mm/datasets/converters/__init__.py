"""Converters from other annotation layouts to the PoseTrack18 layout the datasets read."""
from .posetrack17 import (
    POSETRACK17_JOINT_NAMES,
    POSETRACK18_CATEGORY,
    POSETRACK18_KEYPOINT_NAMES,
    PT17_TO_PT18,
    convert_posetrack17,
    convert_posetrack17_video,
)

__all__ = [
    'POSETRACK17_JOINT_NAMES', 'POSETRACK18_CATEGORY', 'POSETRACK18_KEYPOINT_NAMES',
    'PT17_TO_PT18', 'convert_posetrack17', 'convert_posetrack17_video'
]
