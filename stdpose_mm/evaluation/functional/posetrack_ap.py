"""PoseTrack18 multi-person pose estimation AP, numerically equal to the official ``poseval``.

Matching and AP live here; reading and checking the json files in :mod:`.posetrack_format`
(re-exported here, so both halves import from this module as before).

This is a self-contained re-implementation (numpy only, no torch / mmengine import) of the
per-frame AP protocol of https://github.com/leonid-pishchulin/poseval (``evaluateAP.py`` +
``eval_helpers.py`` + ``convert.py``), so PoseTrack18 can be evaluated without installing it.

Protocol (each rule mirrors the poseval function named in brackets):

* Joints: the 17 PoseTrack18 keypoints are mapped *by name* through the file's
  ``categories[0].keypoints`` to poseval's 15 joints; the ears are dropped
  (``convert.Person.from_new``). A joint exists unless its x, y and third value are all 0
  (``convert.Person.to_old``). A predicted joint is ranked by its own entry of the
  annotation's ``scores`` list; the person ``score`` is unused. A prediction without
  ``scores`` gets the fallback score -9999 (``eval_helpers.MIN_SCORE``).
* Frames: GT frames follow the order of ``images`` in each GT file (files sorted by name).
  Only frames with at least one GT annotation are evaluated, ``is_labeled`` is not read
  (``eval_helpers.cleanupData``).
* Ignore regions: joints strictly inside a polygon of the GT image's
  ``ignore_regions_x/y`` are removed from GT and predictions
  (``eval_helpers.removeIgnoredPoints``, shapely ``Polygon.contains``).
* Matching per frame (``eval_helpers.assignGTmulti``): head size = 0.6 x the diagonal of the
  GT ``bbox_head``; a joint is correct if its distance / head size <= 0.5. PCK of every
  prediction / GT pair = correct joints / annotated GT joints. Each prediction keeps only its
  best GT (first on ties), then each GT takes the prediction with the highest remaining PCK
  (first on ties; none if 0). The joints of a matched prediction are TP where correct and FP
  otherwise (also where the GT person lacks the joint); all joints of an unmatched
  prediction are FP.
* AP per joint pools all frames of all videos, ranked by score with poseval's own
  ``np.argsort(scores)[::-1]`` (same tie order for the same input order), all-point
  interpolated (``eval_helpers.computeRPC`` + ``eval_helpers.VOCap``), in percent. A joint
  without any prediction has AP 0; one with predictions but no GT has AP NaN
  (``evaluateAP.computeMetrics``). Groups are means of left/right (Head: head_top,
  head_bottom, nose) and Total is the mean of the non-NaN per-joint APs
  (``eval_helpers.getCum``).

Deviations from poseval, none of which changes the AP of a file that poseval accepts:

* Predicted frames are paired with GT frames by image id, not by list position; a GT frame
  without predictions is simply missed. poseval pairs by position and rejects a prediction
  file whose ``images`` list has another length (we warn when ids or order differ). A
  prediction whose ``image_id`` is no image of its GT video raises (poseval ignores it).
* Missing or duplicated ``track_id`` and a missing ``categories`` field are accepted with a
  warning (poseval raises); ``categories`` then defaults to the 17 PoseTrack18 names.
* A GT person without ``bbox_head`` only raises when its head size is needed (poseval also
  raises for people without joints); a degenerate ignore polygon (under 3 points) contains
  nothing (shapely raises).
* Files are read in sorted order (poseval uses ``glob`` order): this only matters for
  predictions with exactly tied scores. Distances use ``sqrt(dx*dx + dy*dy)``, which may
  differ in the last bit from ``np.linalg.norm`` when a joint is exactly on the threshold.

One deliberate difference: a NaN or inf keypoint coordinate or score (GT or prediction)
raises :class:`PoseTrackFormatError` naming the file, the image and the annotation, where
poseval would rank a NaN score above every real score and compute NaN distances.

Subset AP (``subset='occluded'``): GT annotations may carry a per-keypoint 0/1 list
``occluded`` (same order and length as the keypoints). Person matching is unchanged (it
uses every GT joint), but only GT joints flagged 1 count as positives; a prediction joint
matched to a GT person whose joint is annotated but not in the subset is ignored (neither TP
nor FP). Joints of unmatched predictions, and matched joints the GT person lacks, stay FPs,
so the subset AP is penalised by every false positive of the full evaluation. A joint type
with no GT joint in the subset gets NaN (not poseval's 0) and NaN is skipped in the group
means and the Total.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .posetrack_format import (  # noqa: F401  (re-exported: the format is part of the API)
    EVAL_JOINT_NAMES,
    HEAD_SIZE_FACTOR,
    MAX_TRACK_ID,
    MISSING_SCORE,
    NUM_EVAL_JOINTS,
    POSETRACK18_CATEGORY,
    POSETRACK18_KEYPOINT_NAMES,
    SUBSETS,
    PathLike,
    PoseTrackFormatError,
    PoseTrackFormatWarning,
    PoseTrackFrame,
    PoseTrackPeople,
    PoseTrackSource,
    PoseTrackVideo,
    load_ground_truth,
    load_predictions,
)

# Table columns and their joints, in poseval's order (eval_helpers.getCum).
JOINT_GROUPS: Dict[str, Tuple[str, ...]] = {
    'Head': ('head_top', 'head_bottom', 'nose'),
    'Shoulder': ('right_shoulder', 'left_shoulder'),
    'Elbow': ('right_elbow', 'left_elbow'),
    'Wrist': ('right_wrist', 'left_wrist'),
    'Hip': ('right_hip', 'left_hip'),
    'Knee': ('right_knee', 'left_knee'),
    'Ankle': ('right_ankle', 'left_ankle'),
}
RESULT_KEYS: Tuple[str, ...] = tuple(JOINT_GROUPS) + ('Total',)
# Column headers printed by poseval (eval_helpers.getHeader).
TABLE_HEADERS: Tuple[str, ...] = ('Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total')

PCK_THRESHOLD = 0.5  # evaluateAP.evaluateAP: distThresh


# --------------------------------------------------------------------------------------------
# Ignore regions, matching and AP
# --------------------------------------------------------------------------------------------


def _orientation(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray,
                 px: np.ndarray, py: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """Sign of the turn edge (x1, y1) -> (x2, y2) -> point: 1 left, -1 right, 0 collinear.

    Float evaluation, redone exactly (rationals) where rounding could flip the sign, so
    points on or next to an edge are classified like GEOS's robust predicate does.
    """
    left = (x2 - x1) * (py - y1)
    right = (y2 - y1) * (px - x1)
    det = left - right
    # Generous bound on the rounding error of the float evaluation (Shewchuk's is ~3.3e-16).
    uncertain = needed & (np.abs(det) <= 1e-14 * (np.abs(left) + np.abs(right)))
    sign = np.sign(det)
    for i, k in zip(*np.nonzero(uncertain)):
        fx1, fy1, fx2, fy2 = (Fraction(float(v)) for v in (x1[k], y1[k], x2[k], y2[k]))
        fpx, fpy = Fraction(float(px[i, 0])), Fraction(float(py[i, 0]))
        exact = (fx2 - fx1) * (fpy - fy1) - (fy2 - fy1) * (fpx - fx1)
        sign[i, k] = (exact > 0) - (exact < 0)
    return sign


def points_in_polygon(points: np.ndarray, poly_x: np.ndarray, poly_y: np.ndarray) -> np.ndarray:
    """Which points lie strictly inside a polygon (boundary excluded), like shapely ``contains``.

    Even-odd rule with GEOS's ray-crossing conventions (``RayCrossingCounter``), so
    self-intersecting polygons behave as in poseval. Polygons with fewer than 3 vertices
    contain nothing.

    Args:
        points: (N, 2) array of x, y.
        poly_x: (V,) polygon x coordinates (closed or not).
        poly_y: (V,) polygon y coordinates.

    Returns:
        np.ndarray: (N,) bool.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(poly_x) < 3 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    px, py = points[:, :1], points[:, 1:]
    x1, y1 = np.asarray(poly_x, dtype=np.float64), np.asarray(poly_y, dtype=np.float64)
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)  # edge k goes from vertex k to k + 1
    # Each GEOS test below is skipped for edges entirely left of the point.
    active = ~((x1 < px) & (x2 < px))
    at_vertex = (px == x2) & (py == y2)
    horizontal = (y1 == py) & (y2 == py)
    on_horizontal = horizontal & (px >= np.minimum(x1, x2)) & (px <= np.maximum(x1, x2))
    straddles = ((y1 > py) & (y2 <= py)) | ((y2 > py) & (y1 <= py))
    regular = active & ~at_vertex & ~horizontal & straddles
    orient = _orientation(x1, y1, x2, y2, px, py, regular)
    orient = np.where(y2 < y1, -orient, orient)  # as if the edge pointed upwards
    on_boundary = active & (at_vertex | on_horizontal | (regular & (orient == 0)))
    crossings = np.count_nonzero(regular & (orient > 0), axis=1)
    return ~on_boundary.any(axis=1) & (crossings % 2 == 1)


def _remove_ignored(people: PoseTrackPeople,
                    regions: List[Tuple[np.ndarray, np.ndarray]]) -> PoseTrackPeople:
    """Copy of ``people`` without the joints inside any ignore region.

    Mirrors ``eval_helpers.removeIgnoredPointsRects`` (people left without joints are
    dropped later by the caller).
    """
    if not regions or len(people) == 0:
        return people
    flat = people.xy.reshape(-1, 2)
    inside = np.zeros(len(flat), dtype=bool)
    for xs, ys in regions:
        inside |= points_in_polygon(flat, xs, ys)
    return PoseTrackPeople(people.xy, people.valid & ~inside.reshape(people.valid.shape),
                           people.scores, people.subset, people.head_size, people.sources)


def match_frame(gt: PoseTrackPeople, pred: PoseTrackPeople,
                threshold: float = PCK_THRESHOLD) -> Tuple[np.ndarray, np.ndarray]:
    """Assign predictions to GT people of one frame like ``eval_helpers.assignGTmulti``.

    Each prediction keeps only its best GT by PCK (first on ties); each GT then takes the
    prediction with the highest remaining PCK (first on ties), none if that PCK is 0.

    Args:
        gt: GT people (``head_size`` must be set for people with joints).
        pred: Predicted people.
        threshold: Distance threshold as a fraction of the head size.

    Returns:
        tuple: ``pred_to_gt`` (P,) int64, the matched GT index or -1, and ``correct``
        (P, G, 15) bool, whether each predicted joint is within the threshold of the GT one.
    """
    num_pred, num_gt = len(pred), len(gt)
    pred_to_gt = np.full(num_pred, -1, dtype=np.int64)
    if num_pred == 0 or num_gt == 0:
        return pred_to_gt, np.zeros((num_pred, num_gt, NUM_EVAL_JOINTS), dtype=bool)
    diff = pred.xy[:, None] - gt.xy[None]
    with np.errstate(divide='ignore', invalid='ignore'):  # head size 0 -> inf / nan, as poseval
        dist = np.sqrt(diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1])
        dist = dist / gt.head_size[None, :, None]
    both = pred.valid[:, None] & gt.valid[None]
    correct = both & (dist <= threshold)  # NaN compares False, like poseval's inf default
    num_gt_joints = gt.valid.sum(axis=1)
    pck = 1.0 * correct.sum(axis=2)
    has_joints = num_gt_joints > 0
    pck[:, has_joints] = pck[:, has_joints] / num_gt_joints[has_joints]
    # Each prediction keeps only its best GT ...
    best_gt = np.argmax(pck, axis=1)
    kept = np.zeros_like(pck)
    kept[np.arange(num_pred), best_gt] = pck[np.arange(num_pred), best_gt]
    # ... then each GT takes its best remaining prediction (a prediction is kept by at most
    # one GT because its row has a single non-zero entry).
    gt_to_pred = np.argmax(kept, axis=0)
    for gt_idx, pred_idx in enumerate(gt_to_pred):
        if kept[pred_idx, gt_idx] > 0:
            pred_to_gt[pred_idx] = gt_idx
    return pred_to_gt, correct


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated average precision (``eval_helpers.VOCap``), in [0, 1].

    Args:
        recall: (N,) recall after each ranked detection.
        precision: (N,) precision after each ranked detection.

    Returns:
        float: Area under the monotone precision envelope.
    """
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mpre[idx]))


def average_precision(scores: np.ndarray, labels: np.ndarray, num_gt: float) -> float:
    """AP in percent of one joint type (``evaluateAP.computeMetrics``).

    Args:
        scores: (N,) detection scores.
        labels: (N,) 1 for TP, 0 for FP.
        num_gt: Number of GT joints.

    Returns:
        float: 0 without detections, NaN with detections but no GT, else the AP x 100.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return 0.0
    if num_gt == 0:
        return math.nan
    # poseval's own ranking call, so that equal scores are ordered the same way.
    order = np.argsort(scores)[::-1]
    true_pos = np.cumsum(np.asarray(labels)[order] == 1)
    recall = true_pos / float(num_gt)
    precision = true_pos / np.arange(1, len(scores) + 1)
    return voc_ap(recall, precision) * 100.0


def _nan_mean(values: np.ndarray) -> float:
    valid = ~np.isnan(values)
    return float(values[valid].mean()) if valid.any() else math.nan


def _summarize(per_joint_ap: np.ndarray, skip_nan_in_groups: bool) -> Dict[str, Any]:
    """Group columns, Total and per-joint APs (``eval_helpers.getCum``, ``computeMetrics``).

    poseval averages the groups with plain means (a NaN joint makes its group NaN) and the
    Total over the non-NaN joints; ``skip_nan_in_groups`` also skips NaN in the groups.
    """
    result: Dict[str, Any] = {}
    for group, names in JOINT_GROUPS.items():
        values = per_joint_ap[[EVAL_JOINT_NAMES.index(n) for n in names]]
        result[group] = _nan_mean(values) if skip_nan_in_groups else float(values.mean())
    result['Total'] = _nan_mean(per_joint_ap)
    result['per_joint'] = {name: float(per_joint_ap[EVAL_JOINT_NAMES.index(name)])
                           for name in POSETRACK18_KEYPOINT_NAMES if name in EVAL_JOINT_NAMES}
    return result


def evaluate_frames(frames: Sequence[PoseTrackFrame], use_subset: bool = False,
                    threshold: float = PCK_THRESHOLD) -> Dict[str, Any]:
    """Compute the PoseTrack AP table over loaded frames.

    Args:
        frames: Evaluated frames, in the order scores are pooled.
        use_subset: Count only GT joints flagged in ``gt.subset`` as positives, ignore
            predicted joints matched to annotated GT joints outside the subset, give NaN to
            joint types without subset GT and skip NaN in the group means.
        threshold: PCK threshold as a fraction of the head size.

    Returns:
        dict: See :func:`evaluate_posetrack`.
    """
    pooled_scores: List[List[np.ndarray]] = [[] for _ in range(NUM_EVAL_JOINTS)]
    pooled_labels: List[List[np.ndarray]] = [[] for _ in range(NUM_EVAL_JOINTS)]
    num_gt = np.zeros(NUM_EVAL_JOINTS)
    for frame in frames:
        gt = _remove_ignored(frame.gt, frame.ignore_regions)
        pred = _remove_ignored(frame.pred, frame.ignore_regions)
        # People without joints never match nor score (poseval keeps some, to no effect).
        gt = gt.select(gt.valid.any(axis=1))
        pred = pred.select(pred.valid.any(axis=1))
        positives = gt.valid & gt.subset if use_subset else gt.valid
        num_gt += positives.sum(axis=0)
        if len(pred) == 0:
            continue
        if len(gt):
            missing_head = np.isnan(gt.head_size)
            if missing_head.any():
                raise PoseTrackFormatError(
                    f'{gt.sources[int(np.argmax(missing_head))]}.bbox_head is missing: needed '
                    'for the head-size normalised distance')
        pred_to_gt, correct = match_frame(gt, pred, threshold)
        matched = pred_to_gt >= 0
        labels = np.zeros(pred.valid.shape, dtype=bool)
        counted = pred.valid.copy()
        if matched.any():
            rows, cols = np.flatnonzero(matched), pred_to_gt[matched]
            labels[rows] = correct[rows, cols]
            if use_subset:
                # Annotated GT joints outside the subset: neither TP nor FP.
                counted[rows] &= ~(gt.valid[cols] & ~gt.subset[cols])
        for joint in range(NUM_EVAL_JOINTS):
            keep = counted[:, joint]
            pooled_scores[joint].append(pred.scores[keep, joint])
            pooled_labels[joint].append(labels[keep, joint])
    per_joint_ap = np.array([
        average_precision(np.concatenate(pooled_scores[j]) if pooled_scores[j] else [],
                          np.concatenate(pooled_labels[j]) if pooled_labels[j] else [],
                          num_gt[j]) for j in range(NUM_EVAL_JOINTS)])
    if use_subset:
        # A joint type never in the subset has no AP (poseval's 0 for "no prediction" would
        # drag the subset Total down for joints that are simply never occluded).
        per_joint_ap[num_gt == 0] = math.nan
    return _summarize(per_joint_ap, skip_nan_in_groups=use_subset)


def evaluate_posetrack(gt: PoseTrackSource, pred: PoseTrackSource,
                       subset: Optional[str] = None,
                       threshold: float = PCK_THRESHOLD) -> Dict[str, Any]:
    """PoseTrack18 per-frame multi-person pose estimation AP, as the official poseval.

    Args:
        gt: GT: a directory of per-video PoseTrack18 jsons (``images`` + ``annotations``),
            one json file, a list of json files, or ``{video file name: loaded json}``.
        pred: Predictions in the same layout: one json per GT video with the same file name
            (a directory, files or mapping); annotations carry ``keypoints`` (17 x 3),
            per-joint ``scores`` (17), ``image_id`` and ``track_id``.
        subset: None for the standard AP, or ``'occluded'`` for the AP on GT joints flagged
            in the GT annotations' ``occluded`` lists (see the module docstring).
        threshold: PCK threshold as a fraction of the head size (poseval: 0.5).

    Returns:
        dict: ``{'Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle', 'Total'}``
        APs in percent and ``'per_joint'``: ``{joint name: AP}`` for the 15 joints (NaN for
        a joint with predictions but no GT, as poseval).

    Raises:
        PoseTrackFormatError: Missing / malformed files or fields (the message names them).
    """
    videos = load_ground_truth(gt, subset)
    load_predictions(pred, videos)
    frames = [frame for video in videos.values() for frame in video.frames]
    return evaluate_frames(frames, use_subset=subset is not None, threshold=threshold)


def format_ap_table(result: Mapping[str, Any], per_joint: bool = False) -> str:
    """Format a result as poseval prints it (``eval_helpers.printTable``).

    Args:
        result: Output of :func:`evaluate_posetrack`.
        per_joint: Also append a ``joint: AP`` line per joint.

    Returns:
        str: The header and value rows (LaTeX-like, as poseval), without trailing newline.
    """
    header = '&' + ''.join(f' {name:<4} &' for name in TABLE_HEADERS[:-1]) + ' Total\\\\'
    cells = ['{:>5}'.format('%1.1f' % result[key]) for key in RESULT_KEYS]
    row = '&' + ''.join(cell + ' &' for cell in cells[:-1]) + cells[-1] + ' \\\\'
    lines = [header, row]
    if per_joint:
        lines += [f'{name:<15}{ap:6.1f}' for name, ap in result['per_joint'].items()]
    return '\n'.join(lines)
