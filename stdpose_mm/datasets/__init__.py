from ..optional_deps import OPENMMLAB_INSTALLED, missing_openmmlab
from .dataset_check import BadDataError, check_posetrack_dataset
from .posetrack_annotations import (
                                    PoseTrackAnnotationError,
                                    group_by_track,
                                    load_json,
                                    load_video_annotations,
                                    select_labeled_frames,
)

__all__ = [
    'BadDataError', 'PoseTrackAnnotationError', 'PoseTrackVideoDataset',
    'check_posetrack_dataset', 'group_by_track', 'load_json', 'load_video_annotations',
    'select_labeled_frames'
]

if OPENMMLAB_INSTALLED:  # the MMPose dataset and transforms (registered on import)
    from .posetrack_video_dataset import PoseTrackVideoDataset
    from .transforms import *  # noqa: F401,F403
else:
    def __getattr__(name: str):
        raise missing_openmmlab(__name__, name)
