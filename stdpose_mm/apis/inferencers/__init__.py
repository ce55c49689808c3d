"""MMPose inferencers for the video models (see :mod:`.video_pose_inferencer`)."""
from .detections import FrameDetections
from .mmpose_hooks import (
    dispatch_pose2d_inferencer,
    install_mmpose_hooks,
    split_instances_with_track_ids,
)
from .track_visualizer import TrackPoseLocalVisualizer
from .video_pose_inferencer import VideoPoseInferencer, WindowJob, is_video_pose_config

install_mmpose_hooks()

__all__ = [
    'VideoPoseInferencer', 'WindowJob', 'TrackPoseLocalVisualizer', 'FrameDetections',
    'is_video_pose_config', 'dispatch_pose2d_inferencer', 'install_mmpose_hooks',
    'split_instances_with_track_ids'
]
