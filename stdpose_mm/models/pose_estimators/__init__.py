from .bidirectional_propagation import BidirectionalPropagationEstimator
from .pose_propagation import PosePropagationEstimator
from .video_topdown import VideoTopdownPoseEstimator

__all__ = [
    'BidirectionalPropagationEstimator', 'PosePropagationEstimator', 'VideoTopdownPoseEstimator'
]
