"""Reading and validating PoseTrack-style video annotations (PT17 converted, PT18, PT21).

Kept apart from the dataset class so that tools (dataset checks, propagation, evaluation)
can read annotations without building a dataset.
"""
import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


class PoseTrackAnnotationError(ValueError):
    """An annotation file is malformed; the message names the file and the field."""


@dataclass
class VideoFrame:
    """One frame of a video as listed in the annotation file."""
    image: dict
    ann_file: str
    annotations: List[dict] = field(default_factory=list)


@dataclass
class VideoIndex:
    """Frames of one video, by frame number.

    Attributes:
        vid_id (str): Video id.
        nframes (int): Number of frames the video has (``nframes`` of its images).
        frames (dict): Frame number -> :class:`VideoFrame` for every listed frame.
        first_frame (int): Number of the video's first frame: 0 (PoseTrack18/21), or 1
            where frame 1 is listed and frame 0 is not (PoseTrack17 numbers from 1).
        file_pattern (str): ``file_name`` of a listed frame with ``{:0Nd}`` in place of its
            frame number, used for frames the json does not list.
    """
    vid_id: str
    nframes: int
    frames: Dict[int, VideoFrame]
    file_pattern: str
    first_frame: int = 0

    @property
    def last_frame(self) -> int:
        return self.first_frame + self.nframes - 1

    def update_span(self) -> None:
        """Set ``first_frame`` and widen ``nframes`` from the listed frames.

        A video listed with fewer frames than its ``nframes`` (e.g. only the labelled
        ones) still spans at least up to its last listed frame.
        """
        self.first_frame = 1 if 0 not in self.frames and 1 in self.frames else 0
        self.nframes = max(self.nframes, max(self.frames) - self.first_frame + 1)

    def file_name(self, frame_number: int) -> str:
        frame = self.frames.get(frame_number)
        if frame is not None:
            return frame.image['file_name']
        return self.file_pattern.format(frame_number)


_DIGITS_AT_END = re.compile(r'(\d+)(\.[A-Za-z0-9]+)$')


def _json_files(ann_file: str) -> List[str]:
    if osp.isdir(ann_file):
        files = sorted(
            osp.join(ann_file, name) for name in os.listdir(ann_file) if name.endswith('.json'))
        if not files:
            raise PoseTrackAnnotationError(f'{ann_file}: folder holds no .json annotation file')
        return files
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    return [ann_file]


def load_json(path: str) -> dict:
    """Read a json file; malformed content raises an error naming the file."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise PoseTrackAnnotationError(f'{path}: malformed json ({err})') from None
    except UnicodeDecodeError as err:
        raise PoseTrackAnnotationError(f'{path}: not a text json file ({err})') from None


def _require(entry: dict, key: str, path: str, what: str) -> object:
    if not isinstance(entry, dict) or key not in entry:
        ident = entry.get('id', '?') if isinstance(entry, dict) else '?'
        raise PoseTrackAnnotationError(f'{path}: {what} (id={ident}) has no field {key!r}')
    return entry[key]


def frame_number_of(image: dict, path: str, frame_key: Optional[str] = None) -> int:
    """Frame number within its video.

    PoseTrack names frames by number (``.../000042.jpg``); generic video jsons may give the
    number in a field instead (``frame_key``).
    """
    if frame_key is not None:
        return int(_require(image, frame_key, path, 'image'))
    file_name = str(_require(image, 'file_name', path, 'image'))
    match = _DIGITS_AT_END.search(osp.basename(file_name))
    if match is None:
        raise PoseTrackAnnotationError(
            f'{path}: image {image.get("id")} file_name {file_name!r} does not end in a frame '
            'number; set frame_key to the field that holds it')
    return int(match.group(1))


def _file_pattern(file_name: str) -> str:
    directory, base = osp.split(file_name)
    match = _DIGITS_AT_END.search(base)
    digits = len(match.group(1))
    return osp.join(directory, base[:match.start(1)] + '{:0%dd}' % digits + match.group(2))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def annotation_problem(ann: dict) -> Optional[str]:
    """Why a person annotation's values cannot be used, or None when they can.

    Checked (after the structure: ``keypoints`` is a list of the right length):

    * every ``keypoints`` value is a finite number (not a string, bool, NaN or inf);
    * a person with at least one labelled joint (third value > 0), i.e. one that becomes a
      sample or supervises one, has a ``bbox`` of 4 finite numbers ``x, y, w, h`` with
      ``w > 0`` and ``h > 0``: a zero-size box gives a crop scale of 0 (every target at the
      crop's corner) and a negative one all-zero target weights. A person without ``bbox``
      is never a sample, as before.

    Args:
        ann (dict): One element of a file's ``annotations`` with a ``keypoints`` list.

    Returns:
        str | None: ``'annotation <id> field "<field>" ...'`` or None.
    """
    ident = f'annotation {ann.get("id")}'
    keypoints = ann['keypoints']
    for index, value in enumerate(keypoints):
        if not _is_number(value) or not np.isfinite(value):
            return (f'{ident} field "keypoints" value #{index} is {value!r}, not a finite '
                    'number')
    if 'bbox' not in ann or not any(v > 0 for v in keypoints[2::3]):
        return None
    bbox = ann['bbox']
    if not isinstance(bbox, list) or len(bbox) < 4 \
            or not all(_is_number(v) and np.isfinite(v) for v in bbox[:4]):
        return f'{ident} field "bbox" is {bbox!r}, expected 4 finite numbers x, y, w, h'
    if bbox[2] <= 0 or bbox[3] <= 0:
        return (f'{ident} field "bbox" {bbox!r} has width {bbox[2]} and height {bbox[3]}; '
                'both must be > 0')
    return None


def load_video_annotations(ann_file: str,
                           num_keypoints: int,
                           vid_key: str = 'vid_id',
                           frame_key: Optional[str] = None,
                           bad_annotations: Optional[List[Tuple[str, str]]] = None
                           ) -> Dict[str, VideoIndex]:
    """Read a merged json or a folder of per-video jsons into per-video indexes.

    Args:
        ann_file (str): A json file (PoseTrack18/21 merged or per-video, or any COCO-style
            video json) or a folder of them.
        num_keypoints (int): Expected keypoints per person; other lengths are an error.
        vid_key (str): Image field holding the video id. Defaults to ``'vid_id'``.
        frame_key (str, optional): Image field holding the frame number; by default it is
            parsed from the end of ``file_name``.
        bad_annotations (list, optional): Where a person annotation whose values are
            unusable (:func:`annotation_problem`: a non-numeric keypoint, a zero-size or
            negative box) goes as ``(path, reason)``; it is then left out. None (default):
            such an annotation raises.

    Returns:
        dict: video id -> :class:`VideoIndex`.

    Raises:
        PoseTrackAnnotationError: Malformed json, a field missing or of the wrong size, or
            (without ``bad_annotations``) an unusable annotation, with the file, the
            annotation id and the field named.
    """
    videos: Dict[str, VideoIndex] = {}
    for path in _json_files(ann_file):
        content = load_json(path)
        if not isinstance(content, dict):
            raise PoseTrackAnnotationError(f'{path}: expected a json object with "images"')
        images = _require(content, 'images', path, 'file')
        annotations = content.get('annotations', [])
        if not isinstance(images, list) or not isinstance(annotations, list):
            raise PoseTrackAnnotationError(f'{path}: "images" and "annotations" must be lists')
        frames_by_image_id: Dict[int, VideoFrame] = {}
        for image in images:
            image_id = _require(image, 'id', path, 'image') if 'frame_id' not in image \
                else image['frame_id']
            vid_id = str(_require(image, vid_key, path, 'image'))
            frame_number = frame_number_of(image, path, frame_key)
            nframes = int(image.get('nframes', 0)) or None
            video = videos.get(vid_id)
            if video is None:
                video = VideoIndex(
                    vid_id=vid_id,
                    nframes=nframes or 0,
                    frames={},
                    file_pattern=_file_pattern(image['file_name']))
                videos[vid_id] = video
            if nframes:
                video.nframes = max(video.nframes, nframes)
            frame = VideoFrame(image=image, ann_file=path)
            video.frames[frame_number] = frame
            frames_by_image_id[int(image_id)] = frame
            if 'id' in image and int(image['id']) != int(image_id):
                frames_by_image_id[int(image['id'])] = frame
        for ann in annotations:
            image_id = int(_require(ann, 'image_id', path, 'annotation'))
            frame = frames_by_image_id.get(image_id)
            if frame is None:
                raise PoseTrackAnnotationError(
                    f'{path}: annotation {ann.get("id")} field "image_id"={image_id} '
                    'matches no image in the file')
            keypoints = ann.get('keypoints')
            if keypoints is None:
                continue  # PoseTrack lists boxes without poses for some people
            if not isinstance(keypoints, list) or len(keypoints) != num_keypoints * 3:
                length = len(keypoints) if isinstance(keypoints, list) else type(keypoints)
                raise PoseTrackAnnotationError(
                    f'{path}: annotation {ann.get("id")} field "keypoints" has {length} values, '
                    f'expected {num_keypoints * 3} ({num_keypoints} keypoints x 3)')
            problem = annotation_problem(ann)
            if problem is not None:
                if bad_annotations is None:
                    raise PoseTrackAnnotationError(f'{path}: {problem}')
                bad_annotations.append((path, problem))
                continue
            frame.annotations.append(ann)
    for video in videos.values():
        video.update_span()
    return videos


def select_labeled_frames(videos: Dict[str, VideoIndex],
                          labeled_ratio: Optional[float] = None,
                          label_stride: Optional[int] = None,
                          labeled_frames: Optional[Dict[str, Sequence[int]]] = None
                          ) -> Dict[str, List[int]]:
    """Choose which annotated frames training may see (the sparse-label mask).

    Only frames that carry at least one annotated person (and are not flagged
    ``is_labeled=False``) can be labelled. Exactly one rule applies:

    * ``labeled_frames``: an explicit ``{vid_id: [frame numbers]}``;
    * ``label_stride=k``: every k-th annotated frame of each video (1st, (k+1)-th, ...);
    * ``labeled_ratio=r``: ``round(r * n)`` (at least 1) annotated frames, evenly spaced;
    * none: every annotated frame.

    Returns:
        dict: video id -> sorted frame numbers whose labels are visible.
    """
    rules = [labeled_ratio is not None, label_stride is not None, labeled_frames is not None]
    if sum(rules) > 1:
        raise ValueError('give only one of labeled_ratio, label_stride, labeled_frames')
    if labeled_ratio is not None and not 0 < labeled_ratio <= 1:
        raise ValueError(f'labeled_ratio must be in (0, 1], got {labeled_ratio}')
    if label_stride is not None and label_stride < 1:
        raise ValueError(f'label_stride must be >= 1, got {label_stride}')
    selected: Dict[str, List[int]] = {}
    for vid_id, video in videos.items():
        annotated = sorted(
            number for number, frame in video.frames.items()
            if frame.annotations and frame.image.get('is_labeled', True) is not False)
        if labeled_frames is not None:
            allowed = {int(n) for n in labeled_frames.get(vid_id, [])}
            chosen = [n for n in annotated if n in allowed]
        elif label_stride is not None:
            chosen = annotated[::label_stride]
        elif labeled_ratio is not None and annotated:
            count = max(1, int(round(labeled_ratio * len(annotated))))
            ranks = np.unique(np.round(np.linspace(0, len(annotated) - 1, count)).astype(int))
            chosen = [annotated[r] for r in ranks]
        else:
            chosen = annotated
        selected[vid_id] = chosen
    return selected


def group_by_track(annotations: List[dict]) -> Dict[int, dict]:
    """Map ``track_id`` -> annotation for one frame (people without a track are dropped)."""
    return {int(ann['track_id']): ann for ann in annotations if ann.get('track_id') is not None}
