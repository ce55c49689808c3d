"""Convert the official PoseTrack 2017 annotations to the PoseTrack18 layout.

PoseTrack17 ships one json per video in the MPII-style "annolist" layout (what the official
evaluation tool ``poseval`` calls the old format). Values sit in one-element lists because
the files were written from MATLAB with jsonlab's ``SingletArray``::

    {"annolist": [{"image": [{"name": "images/bonn/000001_bonn/00000001.jpg"}],
                   "imgnum": [1], "is_labeled": [1],
                   "ignore_regions": [{"point": [{"x": [10], "y": [20]}, ...]}],
                   "annorect": [{"x1": [..], "y1": [..], "x2": [..], "y2": [..],  # head box
                                 "track_id": [0],
                                 "annopoints": [{"point": [{"id": [13], "x": [..],
                                                            "y": [..], "is_visible": [1]}]}]}]},
                  ...]}

The result is what :class:`~stdpose_mm.datasets.PoseTrackVideoDataset` and the poseval-equal
evaluation read (``images`` / ``annotations`` / ``categories``). The rules follow poseval's
own converter (``py/convert.py``: ``Video.from_old`` + ``Video.to_new``) where it has one:

* Joints: a point's ``id`` indexes poseval's joint list ``POSETRACK18_LM_NAMES`` (0 right
  ankle, 1 right knee, 2 right hip, 3 left hip, 4 left knee, 5 left ankle, 6 right wrist,
  7 right elbow, 8 right shoulder, 9 left shoulder, 10 left elbow, 11 left wrist,
  12 head_bottom (the neck), 13 nose, 14 head_top) and is written by name into the 17
  PoseTrack18 keypoints; the ears stay ``0, 0, 0``.
* Ids: ``image.id = frame_id = S * 10**10 + V * 10**4 + F`` with S the sequence source
  (1 mpii, 2 bonn, 3 mpiinew), V the video number and F the frame number of the file name,
  all read from the image path ``.../000001_bonn/00000001.jpg`` (``posetrack18_fname2id``).
  PoseTrack17 numbers its frames from 1 (``00000001.jpg``), so F is 1-based here, exactly as
  in poseval's conversion; the file names are kept unchanged. ``annotation.id =
  image.id * 100 + person index``, ``vid_id`` is the video number string (``'000001'``).
* ``bbox``: the box around all annotated joints, enlarged 1.3x about its centre
  (``Person.from_old``); PoseTrack18's published boxes follow the same rule. ``bbox_head``
  is the ``x1, y1, x2, y2`` head box as ``[x, y, w, h]``.
* Every ``annorect`` becomes an annotation, also one without points (all keypoints 0 and
  no ``bbox``): the evaluation counts a frame that has one, as poseval does.

Choices of ours where poseval has none or where the PoseTrack18 files differ:

* The third keypoint value is 1 for every annotated joint, as in the PoseTrack18 files
  (poseval copies ``is_visible`` instead, which would hide occluded but annotated joints
  from training). ``is_visible = 0`` is kept as a 0/1 per-keypoint ``occluded`` list on the
  people whose points carry ``is_visible``; the evaluation reads it for the occluded-joint AP.
* ``is_labeled`` is the file's ``is_labeled`` flag (poseval: "has people") and falls back
  to "has people" when the flag is absent. ``nframes`` is the larger of the number of
  listed frames and the last frame number (frames count from 1).
* Per-point ``score`` (prediction files in the old layout) becomes ``scores``; GT gets
  ``scores: []`` as in the PoseTrack18 GT files.
* An image path that does not follow PoseTrack's ``<number>_<source>`` folder naming gets
  the ids ``9 * 10**10 + video_index * 10**4 + F`` and ``vid_id`` = the video name.

The module uses the standard library only (plus tqdm for the progress bar): no torch or
mmengine import of its own.
"""
from __future__ import annotations

import copy
import math
import os
import os.path as osp
import re
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ...evaluation.functional.posetrack_format import (
    POSETRACK18_CATEGORY,
    POSETRACK18_KEYPOINT_NAMES,
)
from ...utils.atomic_io import atomic_write_json
from ..posetrack_annotations import PoseTrackAnnotationError, load_json

NUM_KEYPOINTS = len(POSETRACK18_KEYPOINT_NAMES)

# PoseTrack17 joint ids 0..14, named as poseval's convert.POSETRACK18_LM_NAMES ("This is used
# to identify the IDs"); eval_helpers.Joint calls id 12 "neck".
POSETRACK17_JOINT_NAMES: Tuple[str, ...] = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow',
    'left_wrist', 'head_bottom', 'nose', 'head_top')
# PT17 joint id -> PT18 keypoint index, by name as poseval's Person.to_new maps them.
PT17_TO_PT18: Tuple[int, ...] = tuple(
    POSETRACK18_KEYPOINT_NAMES.index(name) for name in POSETRACK17_JOINT_NAMES)


# poseval Person.from_old: x1 = centre - 0.65 * extent, i.e. the joint box enlarged 1.3x.
BBOX_ENLARGE = 1.3
# poseval posetrack18_id2fname.seqtype2idx: the leading id digit of each sequence source.
SOURCE_DIGITS: Dict[str, int] = {'mpii': 1, 'bonn': 2, 'mpiinew': 3}
# Leading id digit of videos whose folder name gives no PoseTrack source (ours, not poseval).
OTHER_SOURCE_DIGIT = 9
FRAME_ID_BASE = 10_000  # 4 frame digits in the id
VIDEO_ID_BASE = 1_000_000  # 6 video digits in the id
SOURCE_ID_BASE = VIDEO_ID_BASE * FRAME_ID_BASE
ANNOTATION_ID_BASE = 100  # annotation id = image id * 100 + person index (PoseTrack18)

# Frame number = the digits that end the file name, the rule the dataset applies too.
_FRAME_NUMBER = re.compile(r'(\d+)\.[A-Za-z0-9]+$')
# PoseTrack video folders: "<number>_<source>[_...]", e.g. "000001_bonn", "000342_mpii".
_VIDEO_FOLDER = re.compile(r'^(\d+)_(mpii|bonn|mpiinew)(?:_|$)')


# --------------------------------------------------------------------------------------------
# Field access with errors that name the file and the field
# --------------------------------------------------------------------------------------------


def _fail(label: str, field: str, problem: str) -> PoseTrackAnnotationError:
    return PoseTrackAnnotationError(f'{label}: field "{field}" {problem}')


def _single(value: Any, label: str, field: str) -> Any:
    """Unwrap jsonlab's one-element list (``[5]`` -> ``5``); plain scalars pass."""
    if isinstance(value, list):
        if len(value) != 1:
            raise _fail(label, field, f'must hold one value, got a list of {len(value)}')
        return value[0]
    return value


def _number(value: Any, label: str, field: str) -> float:
    value = _single(value, label, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise _fail(label, field, f'must be a finite number, got {value!r}')
    return value


def _integer(value: Any, label: str, field: str) -> int:
    value = _number(value, label, field)
    if value != int(value):
        raise _fail(label, field, f'must be an integer, got {value!r}')
    return int(value)


def _objects(value: Any, label: str, field: str) -> List[dict]:
    """A list of json objects; a lone object (no ``SingletArray``) or null count too."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(label, field, 'must be a list of objects')
    return value


def _required(entry: dict, key: str, label: str, field: str) -> Any:
    if key not in entry:
        raise _fail(label, f'{field}.{key}', 'is missing')
    return entry[key]


def _flag(value: Any, label: str, field: str) -> Optional[bool]:
    """A 0/1 flag (``[1]``, ``1``, ``true``, ``"1"``); None when empty / null (unknown)."""
    if value is None or value == []:
        return None
    value = _single(value, label, field)
    if isinstance(value, str) and value.strip().lower() in ('0', '1', 'true', 'false'):
        return value.strip().lower() in ('1', 'true')
    if isinstance(value, (bool, int, float)) and value in (0, 1):
        return bool(value)
    raise _fail(label, field, f'must be 0 or 1, got {value!r}')


# --------------------------------------------------------------------------------------------
# One video
# --------------------------------------------------------------------------------------------


def _image_name(entry: dict, label: str, field: str) -> str:
    image = _required(entry, 'image', label, field)
    images = _objects(image, label, f'{field}.image')
    if len(images) != 1:
        raise _fail(label, f'{field}.image', f'must hold one image, got {len(images)}')
    name = _single(_required(images[0], 'name', label, f'{field}.image[0]'), label,
                   f'{field}.image[0].name')
    if not isinstance(name, str) or not name:
        raise _fail(label, f'{field}.image[0].name', f'must be a file name, got {name!r}')
    # MATLAB-era files may escape slashes or use backslashes.
    return name.replace('\\/', '/').replace('\\', '/')


def _frame_number(name: str, label: str, field: str) -> int:
    match = _FRAME_NUMBER.search(osp.basename(name))
    if match is None:
        raise _fail(label, field, f'{name!r} does not end in a frame number '
                    '(e.g. 00000001.jpg)')
    number = int(match.group(1))
    if number >= FRAME_ID_BASE:
        raise _fail(label, field, f'{name!r}: frame number {number} does not fit the 4 '
                    'frame digits of PoseTrack image ids')
    return number


def _video_identity(folder: str, video_name: str,
                    video_index: int) -> Tuple[str, int]:
    """``(vid_id, image id base)`` from the image folder (as poseval) or the fallback."""
    for name in (osp.basename(folder), video_name):
        match = _VIDEO_FOLDER.match(name)
        if match and int(match.group(1)) < VIDEO_ID_BASE:
            number, source = match.groups()
            return number, (SOURCE_DIGITS[source] * SOURCE_ID_BASE +
                            int(number) * FRAME_ID_BASE)
    if not 0 <= video_index < VIDEO_ID_BASE:
        raise ValueError(f'video_index must be in [0, {VIDEO_ID_BASE}), got {video_index}')
    return video_name, OTHER_SOURCE_DIGIT * SOURCE_ID_BASE + video_index * FRAME_ID_BASE


def _ignore_regions(entry: dict, label: str,
                    field: str) -> Tuple[List[List[float]], List[List[float]]]:
    regions_x, regions_y = [], []
    for r, region in enumerate(_objects(entry.get('ignore_regions'), label,
                                        f'{field}.ignore_regions')):
        region_field = f'{field}.ignore_regions[{r}]'
        xs, ys = [], []
        for p, point in enumerate(_objects(_required(region, 'point', label, region_field),
                                           label, f'{region_field}.point')):
            point_field = f'{region_field}.point[{p}]'
            xs.append(_number(_required(point, 'x', label, point_field), label,
                              f'{point_field}.x'))
            ys.append(_number(_required(point, 'y', label, point_field), label,
                              f'{point_field}.y'))
        regions_x.append(xs)
        regions_y.append(ys)
    return regions_x, regions_y


def _enlarged_box(xs: Sequence[float], ys: Sequence[float]) -> List[float]:
    """poseval's person box: the joints' box scaled by ``BBOX_ENLARGE`` about its centre."""
    x_min, x_max, y_min, y_max = min(xs), max(xs), min(ys), max(ys)
    width, height = (x_max - x_min) * BBOX_ENLARGE, (y_max - y_min) * BBOX_ENLARGE
    x_center, y_center = (x_min + x_max) / 2.0, (y_min + y_max) / 2.0
    return [x_center - width / 2.0, y_center - height / 2.0, width, height]


def _person(rect: dict, label: str, field: str, image_id: int, index: int,
            duplicates: List[str]) -> dict:
    """One ``annorect`` as a PoseTrack18 annotation."""
    track_id = _integer(_required(rect, 'track_id', label, field), label, f'{field}.track_id')
    head = {key: _number(_required(rect, key, label, field), label, f'{field}.{key}')
            for key in ('x1', 'y1', 'x2', 'y2')}
    keypoints = [0] * (3 * NUM_KEYPOINTS)
    occluded = [0] * NUM_KEYPOINTS
    scores = [0.0] * NUM_KEYPOINTS
    has_visibility = has_scores = False
    annotated = set()
    annopoints = _objects(rect.get('annopoints'), label, f'{field}.annopoints')
    points = _objects(annopoints[0].get('point'), label, f'{field}.annopoints[0].point') \
        if annopoints else []
    for p, point in enumerate(points):
        point_field = f'{field}.annopoints[0].point[{p}]'
        joint = _integer(_required(point, 'id', label, point_field), label,
                         f'{point_field}.id')
        if not 0 <= joint < len(PT17_TO_PT18):
            raise _fail(label, f'{point_field}.id',
                        f'must be a PoseTrack17 joint id 0..{len(PT17_TO_PT18) - 1}, '
                        f'got {joint}')
        x = _number(_required(point, 'x', label, point_field), label, f'{point_field}.x')
        y = _number(_required(point, 'y', label, point_field), label, f'{point_field}.y')
        visible = _flag(point.get('is_visible'), label, f'{point_field}.is_visible')
        score = point.get('score')
        score = None if score is None or score == [] else \
            _number(score, label, f'{point_field}.score')
        slot = PT17_TO_PT18[joint]
        if slot in annotated:
            duplicates.append(f'{point_field}.id={joint}')
            continue  # poseval's to_new keeps the first point of an id
        annotated.add(slot)
        keypoints[3 * slot:3 * slot + 3] = [x, y, 1]
        if visible is not None:
            has_visibility = True
            occluded[slot] = int(not visible)
        if score is not None:
            has_scores = True
            scores[slot] = score
    annotation: Dict[str, Any] = {
        'bbox_head': [head['x1'], head['y1'], head['x2'] - head['x1'], head['y2'] - head['y1']],
        'keypoints': keypoints,
        'track_id': track_id,
        'image_id': image_id,
    }
    if annotated:
        annotation['bbox'] = _enlarged_box([keypoints[3 * s] for s in annotated],
                                           [keypoints[3 * s + 1] for s in annotated])
    annotation.update(
        scores=scores if has_scores else [],
        category_id=1,
        id=image_id * ANNOTATION_ID_BASE + index,
        iscrowd=False,
        num_keypoints=len(annotated),
    )
    if has_visibility:
        annotation['occluded'] = occluded
    if 'score' in rect and rect['score'] not in (None, []):
        annotation['score'] = _number(rect['score'], label, f'{field}.score')
    return annotation


def convert_posetrack17_video(pt17: dict,
                              video_name: str,
                              split: str,
                              video_index: int,
                              source: Optional[str] = None) -> dict:
    """Convert one PoseTrack17 video annotation to the PoseTrack18 layout.

    Args:
        pt17: The loaded PoseTrack17 json (``{"annolist": [...]}``).
        video_name: Video name, the json file name without ``.json``
            (``'000001_bonn_relpath_5sec_trainsub'``); used in messages and, when the image
            folder has no PoseTrack ``<number>_<source>`` name, for ``vid_id`` and ids.
        split: ``'train'`` or ``'val'``; only used in messages.
        video_index: Position of the video in its split (from 0); only used for the ids of
            videos whose image folder has no PoseTrack name (see the module docstring).
        source: File the json was read from, named in error messages (default:
            ``'<split>/<video_name>'``).

    Returns:
        dict: ``{"images", "annotations", "categories"}`` as in the PoseTrack18 per-video
        files. Images keep the PoseTrack17 ``file_name`` and carry ``id``, ``frame_id``,
        ``vid_id``, ``nframes``, ``is_labeled``, ``has_no_densepose`` and
        ``ignore_regions_x/y``; annotations carry ``keypoints`` (17 x 3), ``bbox``,
        ``bbox_head``, ``track_id``, ``image_id``, ``id``, ``category_id``,
        ``num_keypoints``, ``iscrowd`` and ``scores`` (plus ``occluded`` / ``score`` when
        the source has ``is_visible`` / scores).

    Raises:
        PoseTrackAnnotationError: Malformed input; the message names the file and the field
            (e.g. ``annolist[3].annorect[1].annopoints[0].point[2].x``).
    """
    label = source or f'{split}/{video_name}'
    if not isinstance(pt17, dict) or not isinstance(pt17.get('annolist'), list):
        raise _fail(label, 'annolist', 'is missing or not a list (not a PoseTrack17 '
                    '"annolist" file)')
    entries = pt17['annolist']
    if not entries:
        raise _fail(label, 'annolist', 'is empty')
    frames = []  # (annolist index, entry, file name, frame number)
    folder: Optional[str] = None
    seen: Dict[int, int] = {}
    for i, entry in enumerate(entries):
        field = f'annolist[{i}]'
        if not isinstance(entry, dict):
            raise _fail(label, field, 'must be an object')
        name = _image_name(entry, label, field)
        number = _frame_number(name, label, f'{field}.image[0].name')
        if folder is None:
            folder = osp.dirname(name)
        elif osp.dirname(name) != folder:
            raise _fail(label, f'{field}.image[0].name', f'{name!r} is not in the folder '
                        f'{folder!r} of the first frame: one video per file')
        if number in seen:
            raise _fail(label, f'{field}.image[0].name', f'frame {number} is listed twice '
                        f'(also annolist[{seen[number]}])')
        seen[number] = i
        frames.append((i, entry, name, number))
    vid_id, id_base = _video_identity(folder or '', video_name, video_index)
    nframes = max(len(entries), max(seen))

    images, annotations, duplicates = [], [], []
    for i, entry, name, number in frames:
        field = f'annolist[{i}]'
        image_id = id_base + number
        rects = _objects(entry.get('annorect'), label, f'{field}.annorect')
        if len(rects) > ANNOTATION_ID_BASE:
            raise _fail(label, f'{field}.annorect', f'has {len(rects)} people; annotation '
                        f'ids (image id * {ANNOTATION_ID_BASE} + index) allow '
                        f'{ANNOTATION_ID_BASE}')
        labeled = _flag(entry.get('is_labeled'), label, f'{field}.is_labeled')
        regions_x, regions_y = _ignore_regions(entry, label, field)
        images.append({
            'has_no_densepose': True,
            'is_labeled': bool(rects) if labeled is None else labeled,
            'file_name': name,
            'nframes': nframes,
            'frame_id': image_id,
            'vid_id': vid_id,
            'ignore_regions_y': regions_y,
            'ignore_regions_x': regions_x,
            'id': image_id,
        })
        for r, rect in enumerate(rects):
            annotations.append(_person(rect, label, f'{field}.annorect[{r}]', image_id, r,
                                       duplicates))
    if duplicates:
        warnings.warn(f'{label}: {len(duplicates)} point(s) repeat a joint id of their '
                      f'person and were dropped (the first is kept, as poseval does): '
                      f'{", ".join(duplicates[:3])}', stacklevel=2)
    return {
        'categories': [copy.deepcopy(POSETRACK18_CATEGORY)],
        'images': images,
        'annotations': annotations,
    }


# --------------------------------------------------------------------------------------------
# A folder of videos
# --------------------------------------------------------------------------------------------


def convert_posetrack17(src_dir: str, out_dir: str, split: str,
                        progress: bool = True) -> Dict[str, Any]:
    """Convert every PoseTrack17 video json of a folder to the PoseTrack18 layout.

    Writes ``out_dir/<split>/<video>.json`` per video (same file names as the sources) and
    the merged ``out_dir/posetrack17_<split>.json`` (all images / annotations, one category),
    each atomically. All videos are converted and checked before anything is written, so
    malformed input leaves ``out_dir`` untouched. Other files already in ``out_dir/<split>``
    are left alone.

    Args:
        src_dir: Folder of PoseTrack17 jsons, e.g. ``posetrack_data/annotations/val``
            (non-json files such as the ``.mat`` originals are skipped).
        out_dir: Output folder, e.g. ``data/posetrack17/annotations``.
        split: Split name used in the output names (``'train'`` or ``'val'``).
        progress: Show a tqdm progress bar.

    Returns:
        dict: ``videos``, ``images``, ``annotations`` (counts), ``video_dir`` and
        ``merged_file`` (paths written).

    Raises:
        FileNotFoundError: ``src_dir`` is not a folder.
        PoseTrackAnnotationError: No json in ``src_dir``, malformed json or fields (the file
            and the field are named), or two videos with the same ``vid_id`` / image ids.
    """
    from tqdm import tqdm

    if not split or split != osp.basename(split) or split in ('.', '..'):
        raise ValueError(f'split must be a plain name such as "train" or "val", got {split!r}')
    if not osp.isdir(src_dir):
        raise FileNotFoundError(f'PoseTrack17 annotation folder not found: {src_dir}')
    paths = sorted(osp.join(src_dir, name) for name in os.listdir(src_dir)
                   if name.endswith('.json') and osp.isfile(osp.join(src_dir, name)))
    if not paths:
        raise PoseTrackAnnotationError(f'{src_dir}: folder holds no .json annotation file')

    videos: List[Tuple[str, dict]] = []
    owner_of_vid: Dict[str, str] = {}
    owner_of_image: Dict[int, str] = {}
    for index, path in enumerate(tqdm(paths, desc=f'PoseTrack17 {split}', unit='video',
                                      disable=not progress)):
        name = osp.splitext(osp.basename(path))[0]
        video = convert_posetrack17_video(load_json(path), name, split, index, source=path)
        vid_id = video['images'][0]['vid_id']
        if vid_id in owner_of_vid:
            raise PoseTrackAnnotationError(
                f'{path}: field "vid_id"={vid_id!r} (from the image folder) is also the video '
                f'of {owner_of_vid[vid_id]}; the dataset would merge the two videos')
        owner_of_vid[vid_id] = path
        for image in video['images']:
            if image['id'] in owner_of_image:
                raise PoseTrackAnnotationError(
                    f'{path}: image id {image["id"]} ({image["file_name"]}) is also an image '
                    f'of {owner_of_image[image["id"]]}')
            owner_of_image[image['id']] = path
        videos.append((name, video))

    video_dir = osp.join(out_dir, split)
    merged: Dict[str, Any] = {
        'categories': [copy.deepcopy(POSETRACK18_CATEGORY)], 'images': [], 'annotations': []}
    for name, video in videos:
        atomic_write_json(video, osp.join(video_dir, f'{name}.json'), allow_nan=False)
        merged['images'].extend(video['images'])
        merged['annotations'].extend(video['annotations'])
    merged_file = osp.join(out_dir, f'posetrack17_{split}.json')
    atomic_write_json(merged, merged_file, allow_nan=False)
    return {
        'videos': len(videos),
        'images': len(merged['images']),
        'annotations': len(merged['annotations']),
        'video_dir': video_dir,
        'merged_file': merged_file,
    }
