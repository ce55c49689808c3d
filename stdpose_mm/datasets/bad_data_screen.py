"""The dataset's pre-check of its samples' frames: raise on bad data, or leave it out.

Numpy-free and MMEngine-free (logging goes through the callables the dataset passes), so
the rules live beside :mod:`.dataset_check` and not inside the dataset class.
"""
import os.path as osp
import time
from collections import Counter
from typing import Callable, Dict, FrozenSet, List, Tuple

from .dataset_check import BadDataError, DatasetReport, check_frame_files
from .posetrack_annotations import VideoIndex

BAD_DATA_MODES = ('error', 'skip', 'off')


def screen_bad_data(data_list: List[dict], videos: Dict[str, VideoIndex], mode: str,
                    name: str, ann_file: str, img_prefix: str,
                    bad_annotation_files: List[Tuple[str, str]],
                    bad_annotations: List[Tuple[str, str]], num_files: int, started: float,
                    log: Callable[[str], None], log_bad_once: Callable[[str, str], None],
                    warn: Callable[[str], None]) -> Tuple[List[dict], FrozenSet[str]]:
    """Pre-check every frame the samples' windows name; raise, or skip bad data.

    Args:
        data_list (list[dict]): The samples (``img_path``, ``window_paths``,
            ``window_weights``, ``window_keypoints``); those kept are changed in place.
        videos (dict): The dataset's videos.
        mode (str): ``'error'`` raises on any bad file; ``'skip'`` leaves out the samples
            whose key frame is bad and zeroes the labels of bad support frames.
        name (str): The dataset's class name, for messages.
        ann_file (str): The dataset's annotation file, for messages.
        img_prefix (str): The frames' folder (``data_prefix['img']``).
        bad_annotation_files, bad_annotations: ``(path, reason)`` found while loading.
        num_files (int): Annotation files read.
        started (float): ``time.perf_counter()`` when loading started.
        log: Logs an info line.
        log_bad_once: ``(key, message)``: logs a warning once per key.
        warn: Logs a warning line.

    Returns:
        tuple: The kept samples, and the frame paths that windows must not use.

    Raises:
        BadDataError: ``mode='error'`` and bad data found, or nothing usable left.
    """
    listed = {osp.join(img_prefix, frame.image['file_name'])
              for video in videos.values() for frame in video.frames.values()}
    paths = sorted({path for info in data_list for path in info['window_paths']})
    bad_frames, missing_unlisted = check_frame_files(paths, listed)
    report = DatasetReport(bad_annotation_files, bad_frames, num_files, len(paths),
                           time.perf_counter() - started, missing_unlisted, bad_annotations)
    log(f'{name}: pre-check of {ann_file}: {report.format().splitlines()[0]}')
    if mode == 'error':
        if not report.ok:
            raise BadDataError(
                f'{name}: bad data in {ann_file} (found before any training); '
                f'{report.format()}\nFix or remove these files, or set bad_data="skip" '
                'in the dataset config to leave them out (or "off" to skip this check).',
                report)
        return data_list, frozenset()
    if not videos:
        raise BadDataError(f'{name}: no readable annotation file in {ann_file}; '
                           f'{report.format()}', report)
    for path, reason in bad_annotation_files:
        log_bad_once(path, f'{name}: left out malformed annotation file {path} '
                     f'and its videos ({reason})')
    for path, reason in bad_annotations:
        log_bad_once(f'{path}: {reason}', f'{name}: left out {path}: {reason}')
    bad = dict(bad_frames)
    key_uses = Counter(info['img_path'] for info in data_list if info['img_path'] in bad)
    for path, reason in bad_frames:
        log_bad_once(path, f'{name}: frame {path} is {reason}: left out '
                     f'{key_uses[path]} sample(s) with it as key frame; windows '
                     'that need it use the nearest readable frame')
    if missing_unlisted:
        warn(f'{name}: {len(missing_unlisted)} support frame(s) not listed in the '
             f'annotations do not exist (e.g. {missing_unlisted[0]}); windows use '
             'the nearest readable frame')
    bad_frame_paths = frozenset(bad) | frozenset(missing_unlisted)
    kept = [info for info in data_list if info['img_path'] not in bad]
    for info in kept:
        # A replaced support frame shows another frame: its labels must not supervise.
        for position, path in enumerate(info['window_paths']):
            if path in bad_frame_paths:
                info['window_weights'][position] = 0
                info['window_keypoints'][position] = 0
    if not kept:
        raise BadDataError(f'{name}: every sample of {ann_file} has a bad key frame; '
                           f'{report.format()}', report)
    return kept, bad_frame_paths
