"""Pure-numpy evaluation functions (no torch / mmengine import)."""
from .posetrack_ap import (
    EVAL_JOINT_NAMES,
    JOINT_GROUPS,
    POSETRACK18_CATEGORY,
    POSETRACK18_KEYPOINT_NAMES,
    RESULT_KEYS,
    PoseTrackFormatError,
    PoseTrackFormatWarning,
    average_precision,
    evaluate_frames,
    evaluate_posetrack,
    format_ap_table,
    load_ground_truth,
    load_predictions,
    match_frame,
    points_in_polygon,
    voc_ap,
)

__all__ = [
    'EVAL_JOINT_NAMES', 'JOINT_GROUPS', 'POSETRACK18_CATEGORY', 'POSETRACK18_KEYPOINT_NAMES',
    'RESULT_KEYS',
    'PoseTrackFormatError', 'PoseTrackFormatWarning', 'average_precision', 'evaluate_frames',
    'evaluate_posetrack', 'format_ap_table', 'load_ground_truth', 'load_predictions',
    'match_frame', 'points_in_polygon', 'voc_ap'
]
