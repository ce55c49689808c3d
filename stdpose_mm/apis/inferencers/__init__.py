"""MMPose inferencers for the video models (see :mod:`.video_pose_inferencer`)."""
from ...visualization import TrackPoseLocalVisualizer
from .detections import FrameDetections
from .inputs import VideoInputError, check_video_input, list_frame_files
from .mmpose_hooks import (
    dispatch_pose2d_inferencer,
    install_mmpose_hooks,
    split_instances_with_track_ids,
)
from .posetrack_output import evaluate_video_predictions, gt_image_ids
from .video_pose_inferencer import VideoPoseInferencer, WindowJob, is_video_pose_config

install_mmpose_hooks()

__all__ = [
    'VideoPoseInferencer', 'WindowJob', 'TrackPoseLocalVisualizer', 'FrameDetections',
    'is_video_pose_config', 'dispatch_pose2d_inferencer', 'install_mmpose_hooks',
    'split_instances_with_track_ids', 'VideoInputError', 'check_video_input', 'list_frame_files',
    'evaluate_video_predictions', 'gt_image_ids'
]
