from .posetrack_annotations import (
                                    PoseTrackAnnotationError,
                                    load_video_annotations,
                                    select_labeled_frames,
)
from .posetrack_video_dataset import PoseTrackVideoDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'PoseTrackAnnotationError', 'PoseTrackVideoDataset', 'load_video_annotations',
    'select_labeled_frames'
]
