"""Window layout and labelled-neighbour conditioning shared by training and propagation.

One implementation, used by :class:`PoseTrackVideoDataset` (training and evaluation
samples) and by the propagators of :mod:`stdpose_mm.apis` (inference), so the frames a
model sees and the way the labelled poses enter it cannot drift apart:

- :func:`window_frame_numbers`: the frame numbers of a window (offsets around a key frame,
  clamped to the video);
- :func:`pair_window_offsets`: the one-sided propagation window, source -> target;
- :func:`nearest_labelled`: the nearest labelled frame on each side of a frame;
- :func:`interpolate_pose`: linear interpolation between two labelled poses (a copy where
  one side lacks the joint), with each joint's distance to the label it came from;
- :func:`carry_confidence`: what a pseudo-label score means (see there);
- :func:`neighbour_fields`: the inputs of the bidirectional propagation model (both
  labelled neighbours' poses, their real frame distances, the interpolated prior and the
  crop box), computed from labelled frames only, never from the target;
- :func:`parse_propagation_pairs` / :func:`parse_propagation_triples`: the dataset's
  ``propagation_pairs`` / ``propagation_triples`` settings, checked.

Numpy only (the numpy-only core of the package).
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

TRIPLE_KEYS = ('max_distance', 'one_sided_prob', 'hidden_targets')


def parse_propagation_pairs(propagation_pairs: dict) -> Tuple[int, int]:
    """``(min_distance, max_distance)`` of one-sided propagation samples.

    Args:
        propagation_pairs (dict): ``max_distance`` and optionally ``min_distance`` (1).

    Raises:
        ValueError: Unless ``1 <= min_distance <= max_distance``.
    """
    max_distance = int(propagation_pairs['max_distance'])
    min_distance = int(propagation_pairs.get('min_distance', 1))
    if not 1 <= min_distance <= max_distance:
        raise ValueError('propagation_pairs needs 1 <= min_distance <= max_distance, '
                         f'got {propagation_pairs}')
    return min_distance, max_distance


def parse_propagation_triples(propagation_triples: dict) -> dict:
    """The bidirectional propagation samples' settings, with their defaults.

    Args:
        propagation_triples (dict): ``max_distance`` (None: any), ``one_sided_prob`` (0.0)
            and ``hidden_targets`` (False).

    Raises:
        ValueError: An unknown key.
    """
    unknown = set(propagation_triples) - set(TRIPLE_KEYS)
    if unknown:
        raise ValueError(f'propagation_triples: unknown keys {sorted(unknown)}')
    return dict(max_distance=propagation_triples.get('max_distance'),
                one_sided_prob=float(propagation_triples.get('one_sided_prob', 0.0)),
                hidden_targets=bool(propagation_triples.get('hidden_targets', False)))


# Distance (in frames) at which a label carried without image evidence scores 0.5.
CARRY_HALF_DISTANCE = 4.0


def window_frame_numbers(key_number: int, offsets: Sequence[int], first_frame: int,
                         last_frame: int) -> np.ndarray:
    """Frame numbers of a window: ``key_number + offsets`` clamped to the video.

    Args:
        key_number (int): The key (target) frame.
        offsets (Sequence[int]): Offsets from the key frame (T,).
        first_frame (int): First frame number of the video.
        last_frame (int): Last frame number of the video.

    Returns:
        np.ndarray: (T,) int64 frame numbers (the end frames repeat near the video ends).
    """
    return np.clip(int(key_number) + np.asarray(offsets, np.int64), first_frame,
                   last_frame).astype(np.int64)


def pair_window_offsets(source_offset: int, num_frames: int) -> np.ndarray:
    """Offsets of a one-sided propagation window: source first, the target (0) last.

    Args:
        source_offset (int): Signed source - target distance.
        num_frames (int): Frames per window T.

    Returns:
        np.ndarray: (T,) int64 offsets, ``np.linspace(source_offset, 0, T)`` rounded.
    """
    return np.round(np.linspace(source_offset, 0, num_frames)).astype(np.int64)


def nearest_labelled(labelled: Sequence[int], number: int,
                     max_distance: Optional[int] = None
                     ) -> Tuple[Optional[int], Optional[int]]:
    """The nearest labelled frame strictly before and strictly after ``number``.

    Args:
        labelled (Sequence[int]): Sorted labelled frame numbers.
        number (int): The frame.
        max_distance (int, optional): Ignore labelled frames farther than this.

    Returns:
        tuple: ``(before, after)``, each a frame number or None.
    """
    labelled = np.asarray(labelled, np.int64)
    position = int(np.searchsorted(labelled, number))
    before = int(labelled[position - 1]) if position > 0 else None
    after_position = position + int(position < labelled.size and labelled[position] == number)
    after = int(labelled[after_position]) if after_position < labelled.size else None
    if max_distance is not None:
        before = before if before is not None and number - before <= max_distance else None
        after = after if after is not None and after - number <= max_distance else None
    return before, after


def carry_confidence(distance) -> np.ndarray:
    """The score of a label carried ``distance`` frames without image evidence.

    **What a pseudo-label score means** (the same for every propagator): the height of the
    joint's heatmap peak on the scale where a label encoded by the codec has peak 1. A
    label carried ``d`` frames (copy, interpolation) keeps its position but loses
    confidence as ``2 ** (-d / CARRY_HALF_DISTANCE)`` (1 at d = 0, 0.5 at d = 4, 0.31 at
    d = 7 frames); the bidirectional model starts from exactly this (its prior heatmaps are
    the interpolated pose at this height) and raises or lowers it from the images. So one
    ``pseudo_label_score_thr`` means the same for every method.

    Args:
        distance (float | np.ndarray): Frames to the label the joint came from.

    Returns:
        np.ndarray: Scores in (0, 1], the shape of ``distance``.
    """
    return np.power(2.0, -np.asarray(distance, np.float64) / CARRY_HALF_DISTANCE)


LabelledSide = Tuple[int, np.ndarray, Optional[np.ndarray]]  # (frame, (K, 3) kpts, (4,) xywh)


def interpolate_pose(number: int, before: Optional[LabelledSide],
                     after: Optional[LabelledSide]) -> Dict[str, np.ndarray]:
    """Linear interpolation of a person between its labelled poses on both sides.

    Args:
        number (int): The frame to interpolate at.
        before (tuple, optional): ``(frame, keypoints (K, 3), bbox (4,) xywh or None)``
            of the labelled frame before; None if there is none.
        after (tuple, optional): The same for the labelled frame after.

    Returns:
        dict: ``keypoints`` (K, 2); ``visible`` (K,) bool, labelled on a side;
        ``distance`` (K,) frames to the label each joint came from (the nearer side where
        both have it; 0 for joints labelled nowhere); ``bbox`` (4,) xywh interpolated (or
        the one side's; None if no side has a box).

    Raises:
        ValueError: Neither side is given.
    """
    sides = [side for side in (before, after) if side is not None]
    if not sides:
        raise ValueError(f'interpolate_pose: frame {number} has no labelled side')
    if len(sides) == 1:
        frame, keypoints, bbox = sides[0]
        visible = keypoints[:, 2] > 0
        return dict(keypoints=keypoints[:, :2].astype(np.float32).copy(), visible=visible,
                    distance=np.where(visible, abs(number - frame), 0).astype(np.float32),
                    bbox=None if bbox is None else np.asarray(bbox, np.float32).copy())
    (frame_b, kpts_b, bbox_b), (frame_a, kpts_a, bbox_a) = before, after
    alpha = (number - frame_b) / (frame_a - frame_b)
    in_b, in_a = kpts_b[:, 2] > 0, kpts_a[:, 2] > 0
    lerp = (1 - alpha) * kpts_b[:, :2] + alpha * kpts_a[:, :2]
    keypoints = np.where((in_b & in_a)[:, None], lerp,
                         np.where(in_b[:, None], kpts_b[:, :2], kpts_a[:, :2]))
    d_b, d_a = number - frame_b, frame_a - number
    distance = np.where(in_b & in_a, min(d_b, d_a), np.where(in_b, d_b, np.where(in_a, d_a, 0)))
    if bbox_b is not None and bbox_a is not None:
        bbox = (1 - alpha) * np.asarray(bbox_b, np.float32) + alpha * np.asarray(bbox_a,
                                                                                 np.float32)
    else:
        bbox = bbox_b if bbox_b is not None else bbox_a
    return dict(keypoints=keypoints.astype(np.float32), visible=in_b | in_a,
                distance=distance.astype(np.float32),
                bbox=None if bbox is None else np.asarray(bbox, np.float32))


def neighbour_fields(number: int, before: Optional[LabelledSide],
                     after: Optional[LabelledSide], num_keypoints: int) -> dict:
    """Pipeline inputs of the bidirectional propagation model for one person.

    Computed from the labelled neighbours only: the target's own label or box is never an
    input (the crop box is the interpolated neighbours' box).

    Args:
        number (int): The target frame.
        before (tuple, optional): ``(frame, keypoints (K, 3), bbox (4,) xywh)`` of the
            labelled frame before, or None (video start / no label in range).
        after (tuple, optional): The same after the target.
        num_keypoints (int): K.

    Returns:
        dict: ``neighbour_keypoints`` (2, 1, K, 2) and ``neighbour_keypoints_visible``
        (2, 1, K) (before, after; zeros for a missing side); ``neighbour_offsets`` (1, 2)
        float32 real signed distances neighbour - target (0 for a missing side);
        ``neighbour_present`` (1, 2); ``prior_keypoints`` (1, 1, K, 2) the interpolated
        pose; ``prior_keypoints_visible`` (1, 1, K) its per-joint :func:`carry_confidence` (0 where
        no side labels the joint); ``bbox`` (1, 4) xyxy crop box.

    Raises:
        ValueError: Neither side is given, or no side has a box.
    """
    keypoints = np.zeros((2, 1, num_keypoints, 2), np.float32)
    visible = np.zeros((2, 1, num_keypoints), np.float32)
    offsets = np.zeros((1, 2), np.float32)
    present = np.zeros((1, 2), np.float32)
    for index, side in enumerate((before, after)):
        if side is None:
            continue
        frame, side_keypoints, _ = side
        keypoints[index, 0] = side_keypoints[:, :2]
        visible[index, 0] = side_keypoints[:, 2] > 0
        offsets[0, index] = frame - number
        present[0, index] = 1
    prior = interpolate_pose(number, before, after)
    if prior['bbox'] is None:
        raise ValueError(f'neighbour_fields: no labelled neighbour of frame {number} has a '
                         'bbox (the crop never uses the target\'s own box)')
    x, y, w, h = (float(v) for v in prior['bbox'][:4])
    return dict(
        neighbour_keypoints=keypoints, neighbour_keypoints_visible=visible,
        neighbour_offsets=offsets, neighbour_present=present,
        prior_keypoints=prior['keypoints'][None, None],
        prior_keypoints_visible=(prior['visible'] * carry_confidence(
            prior['distance'])).astype(np.float32)[None, None],
        bbox=np.array([[x, y, x + w, y + h]], np.float32))
