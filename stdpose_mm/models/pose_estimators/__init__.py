from .pose_propagation import PosePropagationEstimator
from .video_topdown import VideoTopdownPoseEstimator

__all__ = ['PosePropagationEstimator', 'VideoTopdownPoseEstimator']
