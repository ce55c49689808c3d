from .formatting import PackVideoPoseInputs
from .loading import FrameReadError, LoadVideoFrames
from .video_transforms import (
                               GenerateVideoTarget,
                               PerFrameTransform,
                               VideoRandomFlip,
                               VideoTopdownAffine,
)

__all__ = [
    'FrameReadError', 'GenerateVideoTarget', 'LoadVideoFrames', 'PackVideoPoseInputs',
    'PerFrameTransform', 'VideoRandomFlip', 'VideoTopdownAffine'
]
