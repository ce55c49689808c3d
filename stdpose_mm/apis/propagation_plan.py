"""Propagation planning: every unlabelled frame with the labelled poses around it.

The records the propagators share (:class:`LabeledPose`, :class:`PropagationTarget`,
:class:`PropagatedPose`) and :func:`plan_propagation`. The propagators themselves are in
:mod:`.propagation` (baselines) and :mod:`.model_propagators`. Numpy only.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..datasets.posetrack_annotations import VideoIndex, group_by_track


@dataclass
class LabeledPose:
    """A labelled person on a source frame.

    Args:
        frame_number (int): The source frame.
        keypoints (np.ndarray): (K, 3) x, y, visibility.
        bbox (np.ndarray): (4,) x, y, w, h.
    """

    frame_number: int
    keypoints: np.ndarray
    bbox: np.ndarray


@dataclass
class PropagationTarget:
    """An unlabelled frame and the labelled poses around it.

    Args:
        vid_id (str): Video id.
        frame_number (int): The unlabelled (target) frame.
        image (dict): The frame's ``images`` entry in the annotation file.
        sources (dict): ``track_id -> [LabeledPose]`` from the previous and/or next
            labelled frame (at most one per side).
        label_distance (int, optional): Frames to the nearest labelled frame of the video
            (any track; None if the video has none).
    """

    vid_id: str
    frame_number: int
    image: dict
    sources: Dict[int, List[LabeledPose]] = field(default_factory=dict)
    label_distance: Optional[int] = None

    def sides(self, track_id: int) -> Tuple[Optional[LabeledPose], Optional[LabeledPose]]:
        """The track's labelled pose before and after the target (None where missing)."""
        sources = self.sources.get(track_id, [])
        before = [s for s in sources if s.frame_number < self.frame_number]
        after = [s for s in sources if s.frame_number > self.frame_number]
        return (before[0] if before else None), (after[0] if after else None)


@dataclass
class PropagatedPose:
    """One track's propagated pose on a target frame.

    Args:
        track_id (int): The track, as on the source frame(s).
        keypoints (np.ndarray): (K, 2) image coordinates.
        scores (np.ndarray): (K,) per-joint confidence.
        visible (np.ndarray): (K,) bool, the joint was labelled on a source frame.
        bbox (np.ndarray): (4,) x, y, w, h.
    """

    track_id: int
    keypoints: np.ndarray
    scores: np.ndarray
    visible: np.ndarray
    bbox: np.ndarray


def _labeled_poses(video: VideoIndex, number: int) -> Dict[int, LabeledPose]:
    poses = {}
    for track_id, ann in group_by_track(video.frames[number].annotations).items():
        keypoints = np.asarray(ann['keypoints'], np.float32).reshape(-1, 3)
        if 'bbox' not in ann or keypoints[:, 2].max() <= 0:
            continue
        poses[track_id] = LabeledPose(number, keypoints, np.asarray(ann['bbox'][:4], np.float32))
    return poses


def plan_propagation(videos: Dict[str, VideoIndex], labeled: Dict[str, Sequence[int]],
                     max_distance: Optional[int] = None) -> List[PropagationTarget]:
    """List every unlabelled frame with the labelled poses of its two neighbours.

    Args:
        videos (dict): ``vid_id -> VideoIndex`` (:func:`load_video_annotations`).
        labeled (dict): ``vid_id -> labelled frame numbers`` (:func:`select_labeled_frames`).
        max_distance (int, optional): Ignore labelled frames farther than this.

    Returns:
        list[PropagationTarget]: One per frame listed in the annotations that is not
        labelled, in video and frame order (frames with no labelled neighbour in range have
        no sources and get no pseudo-label).
    """
    targets = []
    for vid_id in sorted(videos):
        video = videos[vid_id]
        labeled_numbers = np.asarray(sorted(labeled.get(vid_id, ())), np.int64)
        poses_cache: Dict[int, Dict[int, LabeledPose]] = {}
        for number in sorted(video.frames):
            if labeled_numbers.size and number in labeled_numbers:
                continue
            target = PropagationTarget(vid_id, number, video.frames[number].image)
            if labeled_numbers.size:
                target.label_distance = int(np.abs(labeled_numbers - number).min())
            position = int(np.searchsorted(labeled_numbers, number))
            neighbours = labeled_numbers[max(position - 1, 0):position + 1]
            for source in neighbours:
                source = int(source)
                if max_distance is not None and abs(source - number) > max_distance:
                    continue
                if source not in poses_cache:
                    poses_cache[source] = _labeled_poses(video, source)
                for track_id, pose in poses_cache[source].items():
                    target.sources.setdefault(track_id, []).append(pose)
            targets.append(target)
    return targets
