"""Fast pre-check of a PoseTrack-style dataset: every bad annotation file and frame at once.

A training run that meets a corrupt JPEG three hours in, or a malformed per-video json at
start-up, should instead be told up front about *every* bad file. This module finds them
in one pass:

* annotation files: each json of a folder is read on its own (a malformed one does not
  hide the next), with the same parser and checks as the dataset;
* person annotations: keypoint values that are not finite numbers, and zero-size or
  negative boxes of labelled people (:func:`~.posetrack_annotations.annotation_problem`),
  each named by file, annotation id and field;
* frames: existence, size > 0 and the format's start/end markers (JPEG ``FF D8`` ... ``FF
  D9``, PNG signature ... ``IEND``). These catch empty, overwritten and truncated files
  without decoding; ``full_decode=True`` additionally decodes each frame with OpenCV (slow,
  but catches damage in the middle of a file). Frames are checked by a thread pool, since
  the work is file I/O.

Only numpy and the annotation reader are imported at module level (no torch, no mmengine),
so ``tools/check_dataset.py`` starts in a fraction of a second. Local files only.
"""
import os
import os.path as osp
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

from .posetrack_annotations import (
    PoseTrackAnnotationError,
    VideoIndex,
    _json_files,
    load_video_annotations,
)

#: Threads checking frames; the work is stat + two small reads per file.
DEFAULT_WORKERS = 16
#: A JPEG's end-of-image marker may be followed by padding; look this far back for it.
TAIL_BYTES = 1024

_JPEG_SOI = b'\xff\xd8'
_JPEG_EOI = b'\xff\xd9'
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_IEND = b'IEND'

BadFile = Tuple[str, str]  # (path, reason)


class BadDataError(ValueError):
    """The dataset holds malformed annotation files or unreadable frames, all listed.

    Attributes:
        report (DatasetReport, optional): The full pre-check report.
    """

    def __init__(self, message: str, report: Optional['DatasetReport'] = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class DatasetReport:
    """What a dataset pre-check found.

    Attributes:
        bad_annotation_files (list): ``(path, reason)`` of every malformed annotation file.
        bad_frames (list): ``(path, reason)`` of every missing or corrupt frame.
        bad_annotations (list): ``(path, reason)`` of every unusable person annotation
            (the reason names the annotation id and the field).
        num_annotation_files (int): Annotation files checked.
        num_frames (int): Frame files checked.
        elapsed (float): Seconds the check took.
        missing_unlisted (list): Paths of frames that the annotations do not list (support
            frames derived from a video's ``nframes``) and that do not exist. Not an error:
            ``LoadVideoFrames(on_missing=...)`` decides what happens to them.
    """
    bad_annotation_files: List[BadFile] = field(default_factory=list)
    bad_frames: List[BadFile] = field(default_factory=list)
    num_annotation_files: int = 0
    num_frames: int = 0
    elapsed: float = 0.0
    missing_unlisted: List[str] = field(default_factory=list)
    bad_annotations: List[BadFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no annotation file, person annotation or frame is bad."""
        return not self.bad_annotation_files and not self.bad_frames \
            and not self.bad_annotations

    @property
    def num_bad(self) -> int:
        return len(self.bad_annotation_files) + len(self.bad_frames)

    def format(self, max_unlisted: int = 5) -> str:
        """A readable multi-line report listing every bad file with its reason.

        Args:
            max_unlisted (int): How many missing unlisted frames to name (they are a note,
                not an error, and can be many).
        """
        summary = (f'checked {self.num_annotation_files} annotation file(s) and '
                   f'{self.num_frames} frame(s) in {self.elapsed:.2f} s: ')
        found = [f'{self.num_bad} bad file(s)'] if self.num_bad else []
        if self.bad_annotations:
            found.append(f'{len(self.bad_annotations)} bad annotation(s)')
        lines = [summary + (', '.join(found) if found else 'no bad file')]
        for title, entries in (('malformed annotation files', self.bad_annotation_files),
                               ('unusable person annotations', self.bad_annotations),
                               ('missing or corrupt frames', self.bad_frames)):
            if entries:
                lines.append(f'{title} ({len(entries)}):')
                lines.extend(f'  {path}: {reason}' for path, reason in entries)
        if self.missing_unlisted:
            shown = ', '.join(self.missing_unlisted[:max_unlisted])
            more = len(self.missing_unlisted) - max_unlisted
            if more > 0:
                shown += f', ... {more} more'
            lines.append(f'note: {len(self.missing_unlisted)} frame(s) not listed in the '
                         f'annotations do not exist ({shown})')
        return '\n'.join(lines)


# ---------------------------------------------------------------------- frames
def check_frame_file(path: str, full_decode: bool = False) -> Optional[str]:
    """Why a frame file is unusable, or None when it looks fine.

    Args:
        path (str): Local path of the frame.
        full_decode (bool): Also decode the image with OpenCV.

    Returns:
        str | None: The reason (``'missing'``, ``'empty file (0 bytes)'``, ...) or None.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return 'missing'
    except OSError as err:
        return f'unreadable ({err.strerror or err})'
    if not stat.S_ISREG(info.st_mode):
        return 'not a regular file'
    if info.st_size == 0:
        return 'empty file (0 bytes)'
    try:
        with open(path, 'rb') as f:
            head = f.read(len(_PNG_SIGNATURE))
            if full_decode:
                content = head + f.read()
                tail = content[-TAIL_BYTES:]
            else:
                content = None
                f.seek(max(0, info.st_size - TAIL_BYTES))
                tail = f.read()
    except OSError as err:
        return f'unreadable ({err.strerror or err})'
    if head.startswith(_JPEG_SOI):
        if _JPEG_EOI not in tail:
            return 'truncated JPEG (no end-of-image marker FF D9)'
    elif head.startswith(_PNG_SIGNATURE):
        if _PNG_IEND not in tail:
            return 'truncated PNG (no IEND chunk)'
    else:
        # Neither JPEG nor PNG: only a decoder can tell (BMP, WebP, TIFF ... or garbage).
        if content is None:
            with open(path, 'rb') as f:
                content = f.read()
        if not _decodes(content):
            return f'not a decodable image (starts with bytes {head[:4].hex(" ")})'
        return None
    if full_decode and not _decodes(content):
        return 'does not decode as an image'
    return None


def _decodes(content: bytes) -> bool:
    import cv2  # imported here: the marker checks need no OpenCV
    import numpy as np

    return cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR) is not None


def check_frame_files(paths: Iterable[str],
                      listed: Optional[Set[str]] = None,
                      full_decode: bool = False,
                      workers: int = DEFAULT_WORKERS,
                      progress: bool = False) -> Tuple[List[BadFile], List[str]]:
    """Check frame files in parallel.

    Args:
        paths (Iterable[str]): Frame paths (duplicates are checked once).
        listed (set, optional): Paths the annotations list. A missing path outside this set
            is reported apart (second return value), not as bad; None: all are listed.
        full_decode (bool): Also decode every frame with OpenCV.
        workers (int): Threads.
        progress (bool): Show a tqdm progress bar.

    Returns:
        tuple: ``(bad_frames, missing_unlisted)``: ``[(path, reason)]`` and ``[path]``, both
        in the order of ``paths``.
    """
    paths = list(dict.fromkeys(paths))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        reasons = pool.map(lambda path: check_frame_file(path, full_decode), paths)
        if progress:
            from tqdm import tqdm
            reasons = tqdm(reasons, total=len(paths), desc='checking frames', unit='frame')
        reasons = list(reasons)
    bad, missing_unlisted = [], []
    for path, reason in zip(paths, reasons):
        if reason is None:
            continue
        if reason == 'missing' and listed is not None and path not in listed:
            missing_unlisted.append(path)
        else:
            bad.append((path, reason))
    return bad, missing_unlisted


# ---------------------------------------------------------------- annotations
def load_annotation_files(ann_file: str,
                          num_keypoints: int,
                          vid_key: str = 'vid_id',
                          frame_key: Optional[str] = None,
                          bad_annotations: Optional[List[BadFile]] = None
                          ) -> Tuple[Dict[str, VideoIndex], List[BadFile], int]:
    """Read each json of ``ann_file`` on its own, collecting the malformed ones.

    The videos of the good files are the same as :func:`load_video_annotations` gives for
    the whole folder when every file is good (a video split over several files is merged).

    Args:
        ann_file (str): A json file or a folder of per-video jsons.
        num_keypoints (int): Expected keypoints per person.
        vid_key (str): Image field with the video id.
        frame_key (str, optional): Image field with the frame number.
        bad_annotations (list, optional): Collects unusable person annotations as
            ``(path, reason)`` and leaves them out (see :func:`load_video_annotations`);
            None: such an annotation makes its file malformed.

    Returns:
        tuple: ``(videos, bad_files, num_files)``: the videos of the good files, the
        ``(path, reason)`` of every malformed file, and how many files were read.

    Raises:
        FileNotFoundError: ``ann_file`` does not exist.
        PoseTrackAnnotationError: ``ann_file`` is a folder with no json file.
    """
    files = _json_files(ann_file)
    videos: Dict[str, VideoIndex] = {}
    bad_files: List[BadFile] = []
    for path in files:
        try:
            file_bad: List[BadFile] = []
            file_videos = load_video_annotations(
                path, num_keypoints, vid_key, frame_key,
                None if bad_annotations is None else file_bad)
        except (PoseTrackAnnotationError, OSError) as err:
            # The messages start with the path already; keep only the reason.
            reason = str(err)
            if reason.startswith(path + ': '):
                reason = reason[len(path) + 2:]
            bad_files.append((path, reason))
            continue
        if bad_annotations is not None:
            bad_annotations.extend(file_bad)
        for vid_id, video in file_videos.items():
            if vid_id in videos:
                _merge_video(videos[vid_id], video)
            else:
                videos[vid_id] = video
    return videos, bad_files, len(files)


def _merge_video(into: VideoIndex, other: VideoIndex) -> None:
    """Merge a video listed over two files, as one folder-wide read would."""
    into.frames.update(other.frames)
    into.nframes = max(into.nframes, other.nframes)
    into.update_span()


def listed_frame_paths(videos: Dict[str, VideoIndex], img_prefix: str = '') -> List[str]:
    """Paths of every frame the annotations list, video by video."""
    return [osp.join(img_prefix, video.frames[number].image['file_name'])
            for video in videos.values() for number in sorted(video.frames)]


def _unlisted_frame_paths(videos: Dict[str, VideoIndex], img_prefix: str) -> List[str]:
    return [osp.join(img_prefix, video.file_name(number))
            for video in videos.values()
            for number in range(video.first_frame, video.last_frame + 1)
            if number not in video.frames]


def check_posetrack_dataset(ann_file: str,
                            data_root: str = '',
                            img_prefix: str = '',
                            num_keypoints: int = 17,
                            vid_key: str = 'vid_id',
                            frame_key: Optional[str] = None,
                            check_images: bool = True,
                            full_decode: bool = False,
                            include_unlisted: bool = False,
                            workers: int = DEFAULT_WORKERS,
                            progress: bool = False) -> DatasetReport:
    """Find every malformed annotation file, unusable person annotation (non-numeric
    keypoints, zero-size or negative boxes) and missing or corrupt frame.

    Paths join as in MMEngine datasets: a relative ``ann_file`` / ``img_prefix`` is taken
    under ``data_root``, and a frame's path is ``img_prefix`` + its ``file_name``.

    Args:
        ann_file (str): Annotation json or folder of per-video jsons.
        data_root (str): Dataset root.
        img_prefix (str): Image prefix (the dataset's ``data_prefix['img']``).
        num_keypoints (int): Expected keypoints per person.
        vid_key (str): Image field with the video id.
        frame_key (str, optional): Image field with the frame number.
        check_images (bool): Check frames too (False: annotation files only).
        full_decode (bool): Decode every frame with OpenCV (slow; catches damage inside a
            file that the marker checks cannot see).
        include_unlisted (bool): Also check the frames a video's ``nframes`` implies but
            ``images`` does not list; corrupt ones are bad, missing ones are noted.
        workers (int): Threads checking frames.
        progress (bool): Show a tqdm progress bar.

    Returns:
        DatasetReport: Every bad file with its reason.

    Raises:
        FileNotFoundError: ``ann_file`` does not exist.
        PoseTrackAnnotationError: ``ann_file`` is a folder with no json file.
    """
    started = time.perf_counter()
    if data_root and not osp.isabs(ann_file):
        ann_file = osp.join(data_root, ann_file)
    if data_root and not osp.isabs(img_prefix):
        img_prefix = osp.join(data_root, img_prefix)
    bad_annotations: List[BadFile] = []
    videos, bad_files, num_files = load_annotation_files(ann_file, num_keypoints, vid_key,
                                                         frame_key, bad_annotations)
    report = DatasetReport(bad_annotation_files=bad_files, num_annotation_files=num_files,
                           bad_annotations=bad_annotations)
    if check_images:
        listed = listed_frame_paths(videos, img_prefix)
        paths = listed + (_unlisted_frame_paths(videos, img_prefix) if include_unlisted else [])
        report.bad_frames, report.missing_unlisted = check_frame_files(
            paths, set(listed), full_decode=full_decode, workers=workers, progress=progress)
        report.num_frames = len(set(paths))
    report.elapsed = time.perf_counter() - started
    return report
