from .formatting import PackVideoPoseInputs
from .loading import FrameReadError, LoadVideoFrames
from .pose_condition import GenerateNeighbourHeatmaps, GenerateSourceHeatmap
from .video_transforms import (
    GenerateVideoTarget,
    PerFrameTransform,
    VideoRandomFlip,
    VideoTopdownAffine,
)

__all__ = [
    'FrameReadError', 'GenerateNeighbourHeatmaps', 'GenerateSourceHeatmap', 'GenerateVideoTarget',
    'LoadVideoFrames', 'PackVideoPoseInputs', 'PerFrameTransform', 'VideoRandomFlip',
    'VideoTopdownAffine'
]
