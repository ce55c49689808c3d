from .dataset_check import BadDataError, check_posetrack_dataset
from .posetrack_annotations import (
                                    PoseTrackAnnotationError,
                                    load_video_annotations,
                                    select_labeled_frames,
)
from .posetrack_video_dataset import PoseTrackVideoDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BadDataError', 'PoseTrackAnnotationError', 'PoseTrackVideoDataset',
    'check_posetrack_dataset', 'load_video_annotations', 'select_labeled_frames'
]
