"""Reading and checking PoseTrack18 json for :mod:`.posetrack_ap` (numpy only).

The constants of the format (keypoint names, poseval's joint order), the people / frame /
video records the AP is computed on, and the loaders of GT and prediction files with their
checks: every bad file or field raises :class:`PoseTrackFormatError` naming the file, the
image and the annotation. The evaluation protocol these loaders follow is described in
:mod:`.posetrack_ap`.
"""
from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Container, Dict, List, Mapping, Optional, Sequence, Tuple, Union

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

MISSING_SCORE = -9999.0  # eval_helpers.MIN_SCORE: score of a joint without `scores`.
HEAD_SIZE_FACTOR = 0.6  # eval_helpers.getHeadSize
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
        per_image, orphans = _annotations_by_image(data, label, images)
        if orphans:  # poseval silently drops them
            _warn(f'{label}: {len(orphans)} annotation(s) have an image_id that is not in '
                  '"images"; they are ignored')
        has_subset_field |= subset is not None and any(
            ann.get(subset) is not None for anns in per_image.values() for _, ann in anns)
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


def _annotations_by_image(
    data: Mapping[str, Any], label: str, image_ids: Container[Any]
) -> Tuple[Dict[Any, List[Tuple[int, Mapping[str, Any]]]], List[Tuple[int, Mapping[str, Any]]]]:
    """Group a file's annotations by image id.

    Args:
        data: The loaded json (``annotations`` a list).
        label: The file's name in error messages.
        image_ids: The image ids the annotations may refer to.

    Returns:
        tuple: ``{image id: [(index, annotation), ...]}`` in file order, and the
        ``(index, annotation)`` pairs whose ``image_id`` is missing or not in ``image_ids``.

    Raises:
        PoseTrackFormatError: An annotation that is not an object.
    """
    per_image: Dict[Any, List[Tuple[int, Mapping[str, Any]]]] = {}
    unknown: List[Tuple[int, Mapping[str, Any]]] = []
    for idx, ann in enumerate(data['annotations']):
        if not isinstance(ann, Mapping):
            raise PoseTrackFormatError(f'{label}: annotations[{idx}] must be an object')
        image_id = _as_key(ann.get('image_id'))
        if image_id is None or image_id not in image_ids:
            unknown.append((idx, ann))
        else:
            per_image.setdefault(image_id, []).append((idx, ann))
    return per_image, unknown


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
        per_image, unknown = _annotations_by_image(data, label, set(video.image_ids))
        if unknown:
            idx, ann = unknown[0]
            raise PoseTrackFormatError(
                f'{label}: annotations[{idx}].image_id = {ann.get("image_id")!r} matches '
                f'no image of the GT video {name}')
        bad_tracks = 0
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
