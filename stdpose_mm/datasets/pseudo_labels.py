"""Pseudo-labels merged into a sparse-label dataset's track table (numpy only)."""
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from .posetrack_annotations import (
    PoseTrackAnnotationError,
    VideoIndex,
    group_by_track,
    load_video_annotations,
)


@dataclass
class PseudoLabelCounts:
    """What :func:`merge_pseudo_labels` added.

    Attributes:
        frames (int): Frames that gained pseudo-labelled people.
        kept_joints (int): Pseudo-label joints kept (score >= the threshold).
        dropped_joints (int): Labelled pseudo-label joints dropped below the threshold.
    """
    frames: int = 0
    kept_joints: int = 0
    dropped_joints: int = 0


def keypoint_array(ann: dict) -> np.ndarray:
    """An annotation's ``keypoints`` as a (K, 3) float32 array."""
    return np.asarray(ann['keypoints'], dtype=np.float32).reshape(-1, 3)


def merge_pseudo_labels(videos: Dict[str, VideoIndex], tracks: dict, pseudo_label_file: str,
                        num_keypoints: int, score_thr: float, weight: float,
                        ann_file: str, vid_key: str = 'vid_id',
                        frame_key: Optional[str] = None) -> PseudoLabelCounts:
    """Add the people of a pseudo-label file to the frames that have no real label.

    Real labels always win: a frame already in ``tracks`` is left as it is. A pseudo-label
    joint below ``score_thr`` (its ``scores`` entry, else its visibility) is made invisible.

    Args:
        videos (dict): The dataset's videos (``vid_id`` -> :class:`VideoIndex`).
        tracks (dict): Per video, frame number -> ``{track_id: (keypoints (K, 3), weight,
            annotation)}``; changed in place.
        pseudo_label_file (str): PoseTrack json of pseudo-labels (``tools/propagate.py``).
        num_keypoints (int): K.
        score_thr (float): Joints scoring below it are dropped.
        weight (float): Loss weight of the pseudo-labelled people.
        ann_file (str): The dataset's annotation file, named in errors.
        vid_key (str): Image field holding the video id.
        frame_key (str, optional): Image field holding the frame number.

    Returns:
        PseudoLabelCounts: What was added.

    Raises:
        PoseTrackAnnotationError: A video that is not in the dataset, or ``scores`` of the
            wrong length (naming the file and the annotation).
    """
    pseudo_videos = load_video_annotations(pseudo_label_file, num_keypoints, vid_key=vid_key,
                                           frame_key=frame_key)
    counts = PseudoLabelCounts()
    for vid_id, pseudo_video in pseudo_videos.items():
        if vid_id not in videos:
            raise PoseTrackAnnotationError(
                f'{pseudo_label_file}: video {vid_id!r} ("{vid_key}") is not in {ann_file}')
        video_tracks = tracks.setdefault(vid_id, {})
        for number, frame in pseudo_video.frames.items():
            if number in video_tracks or not frame.annotations:
                continue  # real labels always win over pseudo-labels
            frame_tracks = {}
            for track_id, ann in group_by_track(frame.annotations).items():
                keypoints = keypoint_array(ann)
                scores = np.asarray(ann.get('scores') or keypoints[:, 2], np.float32)
                if scores.shape != (num_keypoints, ):
                    raise PoseTrackAnnotationError(
                        f'{frame.ann_file}: annotation {ann.get("id")} field "scores" has '
                        f'{scores.size} values, expected {num_keypoints}')
                labelled = keypoints[:, 2] > 0
                keep = labelled & (scores >= score_thr)
                counts.kept_joints += int(keep.sum())
                counts.dropped_joints += int((labelled & ~keep).sum())
                keypoints[:, 2] = keep
                frame_tracks[track_id] = (keypoints, weight, ann)
            if frame_tracks:
                video_tracks[number] = frame_tracks
                counts.frames += 1
    return counts
