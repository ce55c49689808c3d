"""PoseTrack18 multi-person pose estimation AP, numerically equal to the official ``poseval``.

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

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

# The 17 PoseTrack18 keypoints in file (COCO) order; used when a file has no `categories`.
POSETRACK18_KEYPOINT_NAMES: Tuple[str, ...] = (
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
# The single category of the PoseTrack18 files (same keys, order and 1-based skeleton).
POSETRACK18_CATEGORY: Dict[str, Any] = {
    'supercategory': 'person',
    'id': 1,
    'name': 'person',
    'keypoints': list(POSETRACK18_KEYPOINT_NAMES),
    'skeleton': [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7],
                 [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5],
                 [4, 6], [5, 7]],
}

# poseval's internal joint order (eval_helpers.Joint, convert.POSETRACK18_LM_NAMES). Kept as
# the accumulation order so that means over joints are computed in the same order as poseval.
EVAL_JOINT_NAMES: Tuple[str, ...] = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow',
    'left_wrist', 'head_bottom', 'nose', 'head_top')
NUM_EVAL_JOINTS = len(EVAL_JOINT_NAMES)

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

MISSING_SCORE = -9999.0  # eval_helpers.MIN_SCORE: score of a joint without `scores`.
HEAD_SIZE_FACTOR = 0.6  # eval_helpers.getHeadSize
PCK_THRESHOLD = 0.5  # evaluateAP.evaluateAP: distThresh
MAX_TRACK_ID = 10000  # eval_helpers.MAX_TRACK_ID: poseval asserts track ids below it.
SUBSETS: Tuple[str, ...] = ('occluded',)

PathLike = Union[str, 'os.PathLike[str]']
# A directory of per-video jsons, one json file, a list of json files, or in-memory
# `{video file name: loaded json}`.
PoseTrackSource = Union[PathLike, Sequence[PathLike], Mapping[str, Mapping[str, Any]]]


class PoseTrackFormatError(ValueError):
    """A GT or prediction file that cannot be evaluated; the message names file and field."""


class PoseTrackFormatWarning(UserWarning):
    """Input that is evaluated, but that poseval would reject or that is likely a mistake."""


@dataclass
class PoseTrackPeople:
    """The people of one frame, as arrays over poseval's 15 joints (``EVAL_JOINT_NAMES``).

    Args:
        xy: (N, 15, 2) float64 joint coordinates.
        valid: (N, 15) bool, True where the joint exists.
        scores: (N, 15) float64 per-joint scores (predictions; NaN for GT).
        subset: (N, 15) bool, True where a GT joint belongs to the requested subset.
        head_size: (N,) float64 GT head size (NaN for predictions or without ``bbox_head``).
        sources: ``'file: annotations[i]'`` of each person, for error messages.
    """

    xy: np.ndarray
    valid: np.ndarray
    scores: np.ndarray
    subset: np.ndarray
    head_size: np.ndarray
    sources: List[str]

    @classmethod
    def zeros(cls, num: int) -> 'PoseTrackPeople':
        """``num`` people without any joint."""
        return cls(
            xy=np.zeros((num, NUM_EVAL_JOINTS, 2)),
            valid=np.zeros((num, NUM_EVAL_JOINTS), dtype=bool),
            scores=np.full((num, NUM_EVAL_JOINTS), np.nan),
            subset=np.zeros((num, NUM_EVAL_JOINTS), dtype=bool),
            head_size=np.full((num, ), np.nan),
            sources=[''] * num)

    def __len__(self) -> int:
        return self.xy.shape[0]

    def select(self, keep: np.ndarray) -> 'PoseTrackPeople':
        """Return the people where ``keep`` (a (N,) bool mask) is True."""
        return PoseTrackPeople(self.xy[keep], self.valid[keep], self.scores[keep],
                               self.subset[keep], self.head_size[keep],
                               [s for s, k in zip(self.sources, keep) if k])


@dataclass
class PoseTrackFrame:
    """One evaluated GT frame with its predictions.

    Args:
        image_id: GT image id.
        gt: GT people of the frame.
        pred: Predicted people of the frame (none until predictions are loaded).
        ignore_regions: Polygons ``(xs, ys)`` of the GT image.
    """

    image_id: Any
    gt: PoseTrackPeople
    pred: PoseTrackPeople = field(default_factory=lambda: PoseTrackPeople.zeros(0))
    ignore_regions: List[Tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


@dataclass
class PoseTrackVideo:
    """A GT video file.

    Args:
        name: File name shared by the GT and the prediction json (``'003418_mpii_test.json'``).
        image_ids: Every image id of the file in ``images`` order (labelled or not).
        frames: The evaluated frames (those with at least one GT annotation), in GT order.
    """

    name: str
    image_ids: List[Any]
    frames: List[PoseTrackFrame]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _warn(message: str) -> None:
    warnings.warn(message, PoseTrackFormatWarning, stacklevel=3)


def _video_name(name: Any) -> str:
    """Normalise a video key to its json file name (the prediction file shares it)."""
    name = os.path.basename(str(name))
    return name if name.endswith('.json') else name + '.json'


def _as_key(value: Any) -> Any:
    """An id usable as a dict key, or None for null / lists / objects."""
    return None if isinstance(value, (list, dict)) else value


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PoseTrackFormatError(f'{path}: malformed json: {exc}') from exc
    except OSError as exc:
        raise PoseTrackFormatError(f'{path}: cannot read: {exc}') from exc


def _resolve_sources(source: PoseTrackSource,
                     what: str) -> List[Tuple[str, Union[Path, Mapping[str, Any]]]]:
    """Turn a source into ``[(video file name, path or loaded json)]`` sorted by name."""
    if isinstance(source, Mapping):
        items = [(_video_name(key), value) for key, value in source.items()]
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            items = [(p.name, p) for p in path.glob('*.json') if p.is_file()]
            if not items:
                raise PoseTrackFormatError(f'{what} directory {path} contains no .json file')
        elif path.is_file():
            items = [(path.name, path)]
        else:
            raise PoseTrackFormatError(f'{what} path {path} does not exist')
    else:
        items = []
        for entry in source:
            path = Path(entry)
            if not path.is_file():
                raise PoseTrackFormatError(f'{what} file {path} does not exist')
            items.append((path.name, path))
    names = [name for name, _ in items]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PoseTrackFormatError(f'{what}: several files named {duplicates}')
    if not items:
        raise PoseTrackFormatError(f'{what}: no file given')
    # Sorted for reproducibility; poseval uses glob order (only matters for tied scores).
    return sorted(items, key=lambda item: item[0])


def _load(item: Union[Path, Mapping[str, Any]], label: str) -> Mapping[str, Any]:
    data = _read_json(item) if isinstance(item, Path) else item
    if not isinstance(data, Mapping):
        raise PoseTrackFormatError(f'{label}: top level must be a json object (PoseTrack18 '
                                   'layout with "images" and "annotations")')
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise PoseTrackFormatError(f'{label}: field "{key}" is missing or not a list')
    return data


def _keypoint_columns(data: Mapping[str, Any], label: str) -> np.ndarray:
    """Eval joint index of each keypoint of the file, -1 for dropped ones (the ears).

    poseval maps keypoints by their names in ``categories[0].keypoints``
    (``convert.Video.from_new``), so a file may list them in any order.
    """
    categories = data.get('categories')
    if categories is None:
        _warn(f'{label}: no "categories" field (poseval requires it); assuming the 17 '
              'PoseTrack18 keypoints in COCO order')
        names: Sequence[Any] = POSETRACK18_KEYPOINT_NAMES
    else:
        names = None
        if isinstance(categories, list) and categories and isinstance(categories[0], Mapping):
            names = categories[0].get('keypoints')
        if not isinstance(names, list):
            raise PoseTrackFormatError(
                f'{label}: "categories[0].keypoints" must list the keypoint names')
    columns = np.array([EVAL_JOINT_NAMES.index(n) if n in EVAL_JOINT_NAMES else -1
                        for n in names], dtype=np.int64)
    missing = [n for i, n in enumerate(EVAL_JOINT_NAMES) if i not in columns]
    if missing:
        raise PoseTrackFormatError(f'{label}: "categories[0].keypoints" lacks {missing}')
    return columns


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_list(value: Any, length: int, label: str, what: str) -> np.ndarray:
    if not isinstance(value, list):
        raise PoseTrackFormatError(
            f'{label}.{what} must be a list of {length} numbers, got {type(value).__name__}')
    if len(value) != length:
        raise PoseTrackFormatError(
            f'{label}.{what} has {len(value)} values, expected {length}'
            + (f' ({length // 3} keypoints x 3)' if what == 'keypoints' else ''))
    if not all(_is_number(v) for v in value):
        raise PoseTrackFormatError(f'{label}.{what} must contain only numbers')
    return np.asarray(value, dtype=np.float64)


def _finite(values: np.ndarray, where: str, what: str) -> np.ndarray:
    """``values`` unchanged, or an error naming the file, image, annotation and field.

    NaN and inf are refused: poseval's ``argsort`` ranks a NaN score above every real
    score, and non-finite coordinates make the distances NaN (numpy warnings, no error).
    """
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise PoseTrackFormatError(
            f'{where}: field "{what}" holds non-finite values ({values[bad[0]]} at index '
            f'{bad[0]}, {bad.size} in all); NaN/inf scores and coordinates are refused')
    return values


def _parse_people(annotations: Sequence[Tuple[int, Mapping[str, Any]]], columns: np.ndarray,
                  label: str, is_gt: bool, subset: Optional[str]) -> PoseTrackPeople:
    """Convert the annotations of one frame to poseval's 15 joints."""
    num_kpts = len(columns)
    kept = columns >= 0
    cols = columns[kept]
    people = PoseTrackPeople.zeros(len(annotations))
    for row, (ann_idx, ann) in enumerate(annotations):
        ann_label = f'{label}: annotations[{ann_idx}]'
        people.sources[row] = ann_label
        where = (f'{label}: image {ann.get("image_id")!r} annotations[{ann_idx}]'
                 + (f' (id {ann["id"]!r})' if 'id' in ann else ''))
        kpts = _finite(_number_list(ann.get('keypoints'), 3 * num_kpts, ann_label,
                                    'keypoints'), where, 'keypoints').reshape(num_kpts, 3)[kept]
        people.xy[row, cols] = kpts[:, :2]
        # convert.Person.to_old: a joint is unannotated iff x, y and the third value are 0.
        people.valid[row, cols] = np.any(kpts != 0, axis=1)
        if is_gt:
            head = ann.get('bbox_head')
            if head is not None:
                x, y, w, h = _number_list(head, 4, ann_label, 'bbox_head').tolist()
                # Same arithmetic as poseval: corners x2 = x + w, then the diagonal length.
                dx, dy = (x + w) - x, (y + h) - y
                people.head_size[row] = HEAD_SIZE_FACTOR * math.sqrt(dx * dx + dy * dy)
            if subset is not None and ann.get(subset) is not None:
                flags = _number_list(ann[subset], num_kpts, ann_label, subset)
                people.subset[row, cols] = flags[kept] != 0
        else:
            scores = ann.get('scores')
            if scores is None or scores == []:
                # poseval: no landmark scores -> every joint gets MIN_SCORE.
                people.scores[row] = MISSING_SCORE
            else:
                people.scores[row, cols] = _finite(
                    _number_list(scores, num_kpts, ann_label, 'scores'), where,
                    'scores')[kept]
    return people


def _ignore_regions(image: Mapping[str, Any], label: str) -> List[Tuple[np.ndarray, np.ndarray]]:
    regions_x = image.get('ignore_regions_x')
    regions_y = image.get('ignore_regions_y')
    if regions_x is None or regions_y is None:
        return []
    if not isinstance(regions_x, list) or not isinstance(regions_y, list):
        raise PoseTrackFormatError(f'{label}.ignore_regions_x/y must be lists of lists')
    regions = []
    for idx, (xs, ys) in enumerate(zip(regions_x, regions_y)):
        if not (isinstance(xs, list) and isinstance(ys, list)
                and all(_is_number(v) for v in xs + ys)):
            raise PoseTrackFormatError(
                f'{label}.ignore_regions_x/y[{idx}] must be lists of numbers')
        n = min(len(xs), len(ys))  # poseval zips the two lists
        regions.append((np.asarray(xs[:n], dtype=np.float64),
                        np.asarray(ys[:n], dtype=np.float64)))
    return regions


def load_ground_truth(gt: PoseTrackSource,
                      subset: Optional[str] = None) -> Dict[str, PoseTrackVideo]:
    """Load PoseTrack18 GT files into the frames that poseval evaluates.

    Args:
        gt: A directory of per-video GT jsons, one json file, a list of json files, or a
            mapping ``{video file name: loaded json}``.
        subset: Optional GT joint subset (``'occluded'``), read from the per-keypoint 0/1
            list of that name on each GT annotation (missing list: no joint in the subset).

    Returns:
        dict: ``{video file name: PoseTrackVideo}`` in sorted file-name order.

    Raises:
        PoseTrackFormatError: Unreadable or malformed file, or ``subset`` requested while no
            GT annotation carries it.
    """
    if subset is not None and subset not in SUBSETS:
        raise ValueError(f'subset must be one of {SUBSETS} or None, got {subset!r}')
    videos: Dict[str, PoseTrackVideo] = {}
    has_subset_field = False
    for name, item in _resolve_sources(gt, 'GT'):
        label = str(item) if isinstance(item, Path) else f'GT[{name}]'
        data = _load(item, label)
        columns = _keypoint_columns(data, label)
        images: Dict[Any, Mapping[str, Any]] = {}
        for idx, image in enumerate(data['images']):
            image_id = _as_key(image.get('id')) if isinstance(image, Mapping) else None
            if image_id is None:
                raise PoseTrackFormatError(f'{label}: images[{idx}].id is missing or invalid')
            if image_id in images:
                raise PoseTrackFormatError(f'{label}: images[{idx}].id {image_id!r} is a '
                                           'duplicate')
            images[image_id] = image
        per_image: Dict[Any, List[Tuple[int, Mapping[str, Any]]]] = {}
        orphans = 0
        for idx, ann in enumerate(data['annotations']):
            if not isinstance(ann, Mapping):
                raise PoseTrackFormatError(f'{label}: annotations[{idx}] must be an object')
            image_id = _as_key(ann.get('image_id'))
            if image_id is None or image_id not in images:
                orphans += 1  # poseval silently drops them
                continue
            per_image.setdefault(image_id, []).append((idx, ann))
            has_subset_field |= subset is not None and ann.get(subset) is not None
        if orphans:
            _warn(f'{label}: {orphans} annotation(s) have an image_id that is not in '
                  '"images"; they are ignored')
        frames = []
        for image_id, image in images.items():
            anns = per_image.get(image_id)
            if not anns:  # eval_helpers.cleanupData: frames without GT people are skipped
                continue
            frames.append(PoseTrackFrame(
                image_id=image_id,
                gt=_parse_people(anns, columns, label, True, subset),
                ignore_regions=_ignore_regions(image, f'{label}: image {image_id!r}')))
        videos[name] = PoseTrackVideo(name=name, image_ids=list(images), frames=frames)
    if subset is not None and not has_subset_field:
        raise PoseTrackFormatError(
            f'subset={subset!r} requested but no GT annotation has an "{subset}" field')
    return videos


def load_predictions(pred: PoseTrackSource, videos: Dict[str, PoseTrackVideo]) -> None:
    """Load prediction files and attach their people to the GT frames (in place).

    Predictions on GT frames that are not evaluated (no GT person) are ignored, as poseval
    does; GT frames without prediction count all their joints as missed.

    Args:
        pred: A directory holding one json per GT video under the GT file's name, one json
            file, a list of json files, or a mapping ``{video file name: loaded json}``.
        videos: Output of :func:`load_ground_truth`; each frame's ``pred`` is set.

    Raises:
        PoseTrackFormatError: A GT video without prediction file, a malformed file or
            annotation, or an annotation whose ``image_id`` is no image of its GT video.
    """
    sources = dict(_resolve_sources(pred, 'prediction'))
    extra = sorted(set(sources) - set(videos))
    if extra:
        _warn(f'prediction files without a GT video are ignored: {extra}')
    for name, video in videos.items():
        if name not in sources:
            where = f' in {pred}' if isinstance(pred, (str, os.PathLike)) else ''
            raise PoseTrackFormatError(f'prediction file {name} (for GT video {name}) is '
                                       f'missing{where}')
        item = sources[name]
        label = str(item) if isinstance(item, Path) else f'prediction[{name}]'
        data = _load(item, label)
        columns = _keypoint_columns(data, label)
        gt_ids = set(video.image_ids)
        per_image: Dict[Any, List[Tuple[int, Mapping[str, Any]]]] = {}
        bad_tracks = 0
        for idx, ann in enumerate(data['annotations']):
            if not isinstance(ann, Mapping):
                raise PoseTrackFormatError(f'{label}: annotations[{idx}] must be an object')
            image_id = _as_key(ann.get('image_id'))
            if image_id is None or image_id not in gt_ids:
                raise PoseTrackFormatError(
                    f'{label}: annotations[{idx}].image_id = {ann.get("image_id")!r} matches '
                    f'no image of the GT video {name}')
            per_image.setdefault(image_id, []).append((idx, ann))
        for image_id, anns in per_image.items():
            tracks = [ann.get('track_id') for _, ann in anns]
            bad_tracks += sum(not _is_number(t) or t >= MAX_TRACK_ID for t in tracks)
            bad_tracks += len(tracks) - len(set(t for t in tracks if _is_number(t)))
        if bad_tracks:
            _warn(f'{label}: {bad_tracks} annotation(s) with a missing, repeated (in its frame) '
                  f'or >= {MAX_TRACK_ID} track_id; fine for AP, but poseval rejects the file')
        if not data['annotations']:
            _warn(f'{label}: empty predictions; all GT joints of video {name} count as missed')
        pred_ids = [_as_key(im.get('id')) if isinstance(im, Mapping) else None
                    for im in data['images']]
        if data['images'] and pred_ids != video.image_ids:
            _warn(f'{label}: "images" differs from the GT images of {name} (ids or order); '
                  'frames are paired by image id here, poseval pairs them by list position')
        for frame in video.frames:
            anns = per_image.get(frame.image_id)
            if anns:
                frame.pred = _parse_people(anns, columns, label, False, None)


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
