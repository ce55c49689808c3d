"""Multi-frame top-down dataset for PoseTrack-style videos with sparse labels."""
import logging
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from .bad_data_screen import BAD_DATA_MODES, screen_bad_data
from .dataset_check import load_annotation_files
from .posetrack_annotations import (
    PoseTrackAnnotationError,
    VideoIndex,
    group_by_track,
    load_json,
    load_video_annotations,
    select_labeled_frames,
)
from .propagation_samples import (
    nearest_labelled,
    neighbour_fields,
    pair_window_offsets,
    parse_propagation_pairs,
    parse_propagation_triples,
    window_frame_numbers,
)
from .pseudo_labels import keypoint_array, merge_pseudo_labels
from .transforms.loading import FrameReadError

# The frame window of every video model unless its config says otherwise: two frames on
# each side of the key frame (offset 0). Datasets, propagation and inference share it.
DEFAULT_FRAME_OFFSETS = (-2, -1, 0, 1, 2)


@DATASETS.register_module()
class PoseTrackVideoDataset(BaseCocoStyleDataset):
    """One person on a key frame plus support frames of the same video.

    Reads PoseTrack18/21 annotations as published (a merged json or a folder of per-video
    jsons), PoseTrack17 after ``tools/convert_posetrack17.py``, and any COCO-style video json
    whose images carry a video id and a frame number (``vid_key`` / ``frame_key``).

    Each sample is one annotated (or, in test mode, detected) person on a key frame, with
    the paths of T frames at ``frame_indices`` offsets (the key frame is offset 0), clamped
    to the video. The same person's keypoints on every support frame (matched by
    ``track_id``) come along where the sparse-label mask lets training see them; they
    supervise the per-frame heatmaps. In ``frame_sampler_mode='random'`` the support
    offsets are drawn anew for every sample from ``frame_range``, the same number before
    and after the key frame as in ``frame_indices``.

    Sparse labels (training only): ``labeled_ratio``, ``label_stride`` or
    ``labeled_frames`` choose which annotated frames training may see
    (:func:`select_labeled_frames`). The annotations of the other frames are dropped while
    loading, so neither key frames nor support frames can leak them. A pseudo-label file
    (same layout, per-joint ``scores``, see :func:`carry_confidence` for what a score
    means) fills frames that are hidden or unlabelled; joints scored below
    ``pseudo_label_score_thr`` are dropped (a warning gives how many, so a threshold never
    empties a method's output silently) and the rest are kept with visibility
    ``pseudo_label_weight``, which scales their loss (``GenerateVideoTarget`` encodes the
    joint and multiplies its weight: a weight below 0.5 does not switch it off).

    Args:
        ann_file (str): Annotation json or folder of per-video jsons.
        bbox_file (str, optional): Detections json (test mode only), as MMPose's
            ``test_posetrack18_human_detections.json``. A relative path that does not exist
            from the working directory (MMPose's convention) is taken under ``data_root``.
        frame_indices (Sequence[int]): Frame offsets, containing 0. Defaults to -2..2
            (STDPose and DCPose use 2 frames on each side).
        frame_sampler_mode (str): ``'fixed'`` or ``'random'`` (training augmentation).
        frame_range (Sequence[int], optional): ``[low, high]`` offsets for random sampling.
        labeled_ratio (float, optional): Fraction of annotated frames training may see.
        label_stride (int, optional): Training sees every k-th annotated frame.
        labeled_frames (dict | str, optional): ``{vid_id: [frame numbers]}`` or a json file.
        pseudo_label_file (str, optional): Pseudo-label json (file or folder).
        pseudo_label_score_thr (float): Minimum per-joint score of a pseudo-label joint.
        pseudo_label_weight (float): Loss weight of pseudo-label joints (real labels: 1).
        propagation_pairs (dict, optional): Yield pose-propagation pairs instead of
            centred windows: ``dict(max_distance=4, min_distance=1)``. Each sample's key
            frame is a labelled *target*; a *source* frame of the same person, labelled and
            1..max_distance frames away (either side), is drawn per sample. The T frames
            run from source to target (``np.linspace``, rounded), so position 0 holds the
            source with its pose in ``frame_keypoints[0]`` and the key frame is the last
            (``key_frame_index = T - 1``); ``source_offset`` gives the signed distance.
            The person's crop box is the source's (``bbox``), as at inference where the
            target's box is unknown; a source without a box is never drawn (the target's
            box is never used). In test mode the source is drawn by a generator
            seeded with the sample index (the same pairs on every evaluation).
            Samples whose person has no labelled source in range are left out.
        propagation_triples (dict, optional): Yield samples of the bidirectional
            propagation model instead: ``dict(max_distance=8, one_sided_prob=0.1,
            hidden_targets=False)``. The key frame is a *target* whose label supervises
            only; its window is ``frame_indices`` around it (as at inference); its inputs
            are the person's poses on the nearest labelled frame before and after it
            (within ``max_distance``), their real distances and the interpolated pose and
            box (:func:`neighbour_fields`): ``neighbour_keypoints`` ...,
            ``prior_keypoints`` ..., ``bbox``. Targets are the labelled frames (their
            labelled neighbours are at the gaps the label rule produces, e.g. +-4 frames
            with ``label_stride=4``), plus, with ``hidden_targets=True``, the annotated
            frames the label rule hides (their neighbours are at exactly the distances
            of use, 1..stride-1; their labels are then spent on supervising the
            propagator, which the caller must allow). ``one_sided_prob`` (training only)
            drops one side of a two-sided sample, as at the video ends. The target's own
            label and box are never inputs.
        vid_key (str): Image field with the video id.
        frame_key (str, optional): Image field with the frame number (default: parsed
            from ``file_name``).
        bad_data (str): What to do with malformed annotation files, unusable person
            annotations and missing or corrupt frames. ``'error'`` (default): while
            loading, a fast pre-check (:mod:`stdpose_mm.datasets.dataset_check`) reads
            every annotation file, checks every person annotation (keypoint values are
            finite numbers; a labelled person's ``bbox`` has positive width and height)
            and every frame the samples' windows name (existence, size, JPEG/PNG
            markers; frames the annotations do not list may be missing, as before), and
            raises :class:`BadDataError` listing every bad file and annotation (file,
            annotation id, field) before training starts. ``'skip'``: the same
            pre-check, then a malformed per-video json (``ann_file`` a folder) is left out
            with its videos, an unusable person annotation is left out, samples whose key
            frame is bad are left out, and bad (or missing unlisted) support frames are
            replaced by the nearest readable frame of the window (``LoadVideoFrames``),
            their labels unused. Each is logged once. A malformed single (merged) json is
            an error in every mode. ``'off'``: no pre-check (an unusable person
            annotation still raises while loading). In every mode a frame that exists but
            fails to read at run time (e.g. a JPEG whose markers are fine but whose body
            does not decode) skips its sample in training and is replaced by the nearest readable
            frame in val/test, logged once per file and process with the running count
            (:meth:`prepare_data`).
        **kwargs: Passed to :class:`mmpose.datasets.BaseCocoStyleDataset`
            (``data_root``, ``data_prefix``, ``pipeline``, ``test_mode``, ...).
    """

    METAINFO: dict = dict(from_file='configs/_base_/datasets/posetrack18.py')

    def __init__(self,
                 ann_file: str = '',
                 bbox_file: Optional[str] = None,
                 frame_indices: Sequence[int] = DEFAULT_FRAME_OFFSETS,
                 frame_sampler_mode: str = 'fixed',
                 frame_range: Optional[Sequence[int]] = None,
                 labeled_ratio: Optional[float] = None,
                 label_stride: Optional[int] = None,
                 labeled_frames: Optional[Union[Dict[str, Sequence[int]], str]] = None,
                 pseudo_label_file: Optional[str] = None,
                 pseudo_label_score_thr: float = 0.0,
                 pseudo_label_weight: float = 1.0,
                 propagation_pairs: Optional[dict] = None,
                 propagation_triples: Optional[dict] = None,
                 vid_key: str = 'vid_id',
                 frame_key: Optional[str] = None,
                 bad_data: str = 'error',
                 **kwargs):
        self.frame_indices = sorted(int(offset) for offset in frame_indices)
        if 0 not in self.frame_indices:
            raise ValueError(f'frame_indices must contain the key frame 0: {frame_indices}')
        if frame_sampler_mode not in ('fixed', 'random'):
            raise ValueError(f'frame_sampler_mode must be "fixed" or "random", '
                             f'got {frame_sampler_mode!r}')
        self.frame_sampler_mode = frame_sampler_mode
        if frame_sampler_mode == 'random':
            if frame_range is None or len(frame_range) != 2 \
                    or not frame_range[0] <= min(self.frame_indices) \
                    or not frame_range[1] >= max(self.frame_indices):
                raise ValueError('random frame sampling needs frame_range=[low, high] that '
                                 f'covers frame_indices {self.frame_indices}, got {frame_range}')
            self.window = (int(frame_range[0]), int(frame_range[1]))
        else:
            self.window = (self.frame_indices[0], self.frame_indices[-1])
        self.propagation_pairs = None
        if propagation_pairs is not None:
            self.propagation_pairs = parse_propagation_pairs(propagation_pairs)
            max_distance = self.propagation_pairs[1]
            self.window = (min(self.window[0], -max_distance), max(self.window[1], max_distance))
        self.propagation_triples = None
        if propagation_triples is not None:
            if propagation_pairs is not None:
                raise ValueError('give propagation_pairs or propagation_triples, not both')
            self.propagation_triples = parse_propagation_triples(propagation_triples)
        self.labeled_ratio = labeled_ratio
        self.label_stride = label_stride
        self.labeled_frames = labeled_frames
        self.pseudo_label_file = pseudo_label_file
        self.pseudo_label_score_thr = pseudo_label_score_thr
        self.pseudo_label_weight = pseudo_label_weight
        self.vid_key = vid_key
        self.frame_key = frame_key
        if bad_data not in BAD_DATA_MODES:
            raise ValueError(f'bad_data must be "error", "skip" or "off", got {bad_data!r}')
        self.bad_data = bad_data
        self._bad_frame_paths: frozenset = frozenset()  # marked by the 'skip' pre-check
        self._logged_bad: set = set()  # files already logged (log each once)
        self._runtime_bad_frames: set = set()  # frames that failed to read at run time
        data_root = kwargs.get('data_root')
        if bbox_file and data_root and not osp.isabs(bbox_file) and not osp.exists(bbox_file):
            bbox_file = osp.join(data_root, bbox_file)
        kwargs.setdefault('data_mode', 'topdown')
        if kwargs['data_mode'] != 'topdown':
            raise ValueError(f'{type(self).__name__} supports data_mode="topdown" only')
        super().__init__(ann_file=ann_file, bbox_file=bbox_file, **kwargs)

    @property
    def num_frames(self) -> int:
        return len(self.frame_indices)

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        num_keypoints = self.metainfo['num_keypoints']
        started = time.perf_counter()
        videos, bad_annotation_files, bad_annotations, num_files = \
            self._load_videos(num_keypoints)
        if self.test_mode and self.propagation_triples is None:
            visible = select_labeled_frames(videos)
        else:
            labeled_frames = self.labeled_frames
            if isinstance(labeled_frames, str):
                labeled_frames = load_json(labeled_frames)
            visible = select_labeled_frames(videos, self.labeled_ratio, self.label_stride,
                                            labeled_frames)
        self.labeled_frame_numbers = visible
        # Per video: frame number -> {track_id: (keypoints (K, 3), weight, annotation)}.
        # Only visible (and pseudo-labelled) frames enter this table: hidden labels are
        # never held by the dataset after loading.
        tracks = {
            vid_id: {
                number: {track_id: (keypoint_array(ann), 1.0, ann)
                         for track_id, ann in group_by_track(videos[vid_id].frames[number]
                                                             .annotations).items()}
                for number in numbers
            }
            for vid_id, numbers in visible.items()
        }
        if self.pseudo_label_file and not self.test_mode:
            self._add_pseudo_labels(videos, tracks, num_keypoints)
        self.video_lengths = {vid_id: video.nframes for vid_id, video in videos.items()}
        self._warn_short_videos(videos)

        if self.propagation_triples is not None:
            if self.bbox_file:
                raise ValueError('propagation_triples samples people from labels: set '
                                 'bbox_file=None')
            data_list = self._triple_samples(videos, tracks, visible)
        elif self.bbox_file:
            data_list = self._detection_samples(videos)
        else:
            data_list = self._annotation_samples(videos, tracks, visible)
        if self.bad_data != 'off':
            data_list = self._screen_bad_data(data_list, videos, bad_annotation_files,
                                              bad_annotations, num_files, started)
        if self.propagation_pairs is not None:
            data_list = [info for info in data_list if self._source_positions(info).size]
        return data_list

    def _load_videos(self, num_keypoints: int
                     ) -> Tuple[Dict[str, VideoIndex], List[Tuple[str, str]],
                                List[Tuple[str, str]], int]:
        """Videos, malformed annotation files ``(path, reason)``, unusable person
        annotations ``(path, reason)`` (left out of the videos), number of files read.

        With ``bad_data='off'`` an unusable person annotation raises at once.
        """
        bad_annotations = None if self.bad_data == 'off' else []
        if self.bad_data == 'off' or not osp.isdir(self.ann_file):
            try:
                videos = load_video_annotations(
                    self.ann_file, num_keypoints, vid_key=self.vid_key,
                    frame_key=self.frame_key, bad_annotations=bad_annotations)
            except PoseTrackAnnotationError as err:
                if self.bad_data != 'skip':
                    raise
                raise PoseTrackAnnotationError(
                    f'{err}. bad_data="skip" cannot use part of a single annotation file: '
                    'fix it, or give a folder of per-video jsons (malformed ones are then '
                    'left out)') from err
            return videos, [], bad_annotations or [], 1
        # A folder: read each json on its own, so that every malformed one is found.
        videos, bad_files, num_files = load_annotation_files(
            self.ann_file, num_keypoints, self.vid_key, self.frame_key, bad_annotations)
        return videos, bad_files, bad_annotations, num_files

    def _screen_bad_data(self, data_list: List[dict], videos: Dict[str, VideoIndex],
                         bad_annotation_files: List[Tuple[str, str]],
                         bad_annotations: List[Tuple[str, str]], num_files: int,
                         started: float) -> List[dict]:
        """Pre-check every frame the samples' windows name; raise, or skip bad data."""
        kept, self._bad_frame_paths = screen_bad_data(
            data_list, videos, self.bad_data, type(self).__name__, self.ann_file,
            self.data_prefix.get('img', ''), bad_annotation_files, bad_annotations, num_files,
            started, log=lambda message: print_log(message, logger='current'),
            log_bad_once=self._log_bad_once,
            warn=lambda message: print_log(message, logger='current', level=logging.WARNING))
        return kept

    def _log_bad_once(self, path: str, message: str) -> None:
        if path not in self._logged_bad:
            self._logged_bad.add(path)
            print_log(message, logger='current', level=logging.WARNING)

    def prepare_data(self, idx: int):
        """Run the pipeline; a frame that exists but fails to read never stops the run.

        The pre-check tests frames by their markers, not by decoding them, so a frame whose
        body is corrupt (or that changed after the pre-check) can still fail here. In every
        ``bad_data`` mode: in training its sample is skipped (None: MMEngine's
        ``__getitem__`` fetches another sample); in val/test, where every sample must give
        a prediction, the frame (key frame included) is replaced by the nearest readable
        frame of its window. Each such file is logged once per process, with the number of
        unreadable frames met so far. A frame that does not exist is left to
        ``LoadVideoFrames(on_missing=...)`` (and, in training with ``bad_data='skip'``,
        skips its sample).
        """
        if not self.test_mode:
            try:
                return super().prepare_data(idx)
            except FrameReadError as err:
                if err.missing and self.bad_data != 'skip':
                    raise
                self._report_unreadable(err, 'its sample is skipped')
                return None
        while True:
            data_info = self.get_data_info(idx)
            known_bad = [path for path in data_info['frame_paths']
                         if path in self._runtime_bad_frames]
            if known_bad:
                data_info['bad_frame_paths'] = list(dict.fromkeys(
                    list(data_info.get('bad_frame_paths', ())) + known_bad))
                data_info['replace_bad_key_frame'] = True
            try:
                return self.pipeline(data_info)
            except FrameReadError as err:
                if err.missing or err.path not in data_info['frame_paths'] \
                        or err.path in known_bad:
                    raise  # missing (on_missing='error'), or no readable frame left
                self._report_unreadable(err, 'the nearest readable frame of each window '
                                        'that needs it is used instead')

    def _report_unreadable(self, err: FrameReadError, action: str) -> None:
        """Remember a frame that failed at run time; log it once with the running count."""
        path = err.path or str(err)
        self._runtime_bad_frames.add(path)
        self._log_bad_once(
            path, f'{type(self).__name__}: unreadable frame at run time ({err}); {action}. '
            f'{len(self._runtime_bad_frames)} unreadable frame(s) met so far in this '
            'process (each logged once)')

    @property
    def key_frame_index(self) -> int:
        """Position of the key frame in a sample's ``num_frames`` frames."""
        if self.propagation_pairs is not None:
            return self.num_frames - 1
        if self.propagation_triples is not None:
            return self.frame_indices.index(0)
        return self.frame_indices.index(0)

    def _source_positions(self, info: dict) -> np.ndarray:
        """Window positions holding a labelled frame of the same person in pair range."""
        min_distance, max_distance = self.propagation_pairs
        distances = np.abs(info['window_numbers'] - info['frame_number'])
        boxes = info['window_bboxes']
        # A source without a box cannot give the crop (the target's box is never used).
        valid = (info['window_weights'] > 0) & (distances >= min_distance) & \
            (distances <= max_distance) & (boxes[:, 2] > boxes[:, 0])
        # Clamping repeats end frames: keep one position per distinct frame.
        _, first = np.unique(info['window_numbers'], return_index=True)
        return np.intersect1d(np.flatnonzero(valid), first)

    def _add_pseudo_labels(self, videos: Dict[str, VideoIndex], tracks: dict,
                           num_keypoints: int) -> None:
        counts = merge_pseudo_labels(
            videos, tracks, self.pseudo_label_file, num_keypoints, self.pseudo_label_score_thr,
            self.pseudo_label_weight, self.ann_file, self.vid_key, self.frame_key)
        kept_joints, dropped_joints = counts.kept_joints, counts.dropped_joints
        print_log(f'{type(self).__name__}: {counts.frames} pseudo-labelled frames from '
                  f'{self.pseudo_label_file} ({kept_joints} joints, weight '
                  f'{self.pseudo_label_weight})', logger='current')
        if dropped_joints:
            share = dropped_joints / (dropped_joints + kept_joints)
            print_log(
                f'{type(self).__name__}: pseudo_label_score_thr={self.pseudo_label_score_thr} '
                f'dropped {dropped_joints} of {dropped_joints + kept_joints} pseudo-label '
                f'joints ({share:.0%}) of {self.pseudo_label_file}'
                + (': every pseudo-label joint is dropped, the file adds nothing'
                   if not kept_joints else ''), logger='current', level=logging.WARNING)

    def _warn_short_videos(self, videos: Dict[str, VideoIndex]) -> None:
        span = self.window[1] - self.window[0] + 1
        short = sorted(v for v, video in videos.items() if video.nframes < span)
        if short:
            print_log(
                f'{type(self).__name__}: {len(short)} video(s) of {self.ann_file} are shorter '
                f'than the {span}-frame window ({", ".join(short[:5])}); their support frames '
                'repeat the clamped end frames', logger='current', level=logging.WARNING)

    def _window(self, video: VideoIndex, key_number: int) -> Tuple[List[str], np.ndarray]:
        """Paths and frame numbers for every offset of the window, clamped to the video."""
        numbers = window_frame_numbers(key_number, np.arange(self.window[0], self.window[1] + 1),
                                       video.first_frame, video.last_frame)
        prefix = self.data_prefix.get('img', '')
        paths = [osp.join(prefix, video.file_name(int(n))) for n in numbers]
        return paths, numbers

    def _sample_info(self, video: VideoIndex, key_number: int, bbox_xywh: Sequence[float],
                     track_id: int, frame_tracks: Optional[dict]) -> dict:
        image = video.frames[key_number].image
        paths, numbers = self._window(video, key_number)
        num_keypoints = self.metainfo['num_keypoints']
        window_keypoints = np.zeros((len(numbers), num_keypoints, 3), np.float32)
        window_weights = np.zeros(len(numbers), np.float32)
        window_bboxes = np.zeros((len(numbers), 4), np.float32)  # xyxy, zeros where unknown
        if frame_tracks is not None and track_id >= 0:
            for position, number in enumerate(numbers):
                entry = frame_tracks.get(int(number), {}).get(track_id)
                if entry is not None:
                    window_keypoints[position] = entry[0]
                    window_weights[position] = entry[1]
                    if 'bbox' in entry[2]:
                        bx, by, bw, bh = (float(v) for v in entry[2]['bbox'][:4])
                        window_bboxes[position] = (bx, by, bx + bw, by + bh)
        x, y, w, h = (float(v) for v in bbox_xywh[:4])
        return {
            'img_id': int(image.get('frame_id', image.get('id'))),
            'img_path': paths[-self.window[0]],  # offset 0 sits at -low in the window
            'bbox': np.array([[x, y, x + w, y + h]], dtype=np.float32),
            'vid_id': video.vid_id,
            'frame_number': key_number,
            'nframes': video.nframes,
            'track_id': track_id,
            'window_paths': paths,
            'window_numbers': numbers.astype(np.int64),
            'window_keypoints': window_keypoints,
            'window_weights': window_weights,
            'window_bboxes': window_bboxes,
        }

    def _annotation_samples(self, videos: Dict[str, VideoIndex], tracks: dict,
                            visible: Dict[str, List[int]]) -> List[dict]:
        data_list = []
        for vid_id in sorted(tracks):
            video, frame_tracks = videos[vid_id], tracks[vid_id]
            for number in sorted(frame_tracks):
                for track_id, (keypoints, weight, ann) in sorted(frame_tracks[number].items()):
                    if 'bbox' not in ann or keypoints[:, 2].max() <= 0:
                        continue
                    info = self._sample_info(video, number, ann['bbox'], track_id, frame_tracks)
                    info.update(
                        id=ann.get('id', len(data_list)),
                        category_id=ann.get('category_id', 1),
                        bbox_score=np.ones(1, dtype=np.float32),
                        keypoints=keypoints[None, :, :2].copy(),
                        keypoints_visible=np.minimum(1, keypoints[None, :, 2]) * weight,
                        num_keypoints=int((keypoints[:, 2] > 0).sum()),
                        is_pseudo=number not in set(visible.get(vid_id, ())),
                    )
                    data_list.append(info)
        return data_list

    def _triple_samples(self, videos: Dict[str, VideoIndex], tracks: dict,
                        visible: Dict[str, List[int]]) -> List[dict]:
        """Samples of the bidirectional propagation model (``propagation_triples``)."""
        max_distance = self.propagation_triples['max_distance']
        data_list = []
        for vid_id in sorted(tracks):
            video, frame_tracks = videos[vid_id], tracks[vid_id]
            labelled = sorted(visible.get(vid_id, ()))
            targets = set(labelled)
            if self.propagation_triples['hidden_targets']:
                targets |= {n for n, frame in video.frames.items() if frame.annotations}
            for number in sorted(targets):
                before, after = nearest_labelled(labelled, number, max_distance)
                for track_id, ann in sorted(group_by_track(
                        video.frames[number].annotations).items()):
                    keypoints = keypoint_array(ann)
                    if keypoints[:, 2].max() <= 0:
                        continue
                    sides = [self._labelled_side(frame_tracks, side, track_id)
                             for side in (before, after)]
                    if sides[0] is None and sides[1] is None:
                        continue
                    fields = neighbour_fields(number, *sides, keypoints.shape[0])
                    x1, y1, x2, y2 = fields['bbox'][0]
                    info = self._sample_info(video, number, (x1, y1, x2 - x1, y2 - y1),
                                             track_id, frame_tracks)
                    info.update(
                        id=ann.get('id', len(data_list)),
                        category_id=ann.get('category_id', 1),
                        bbox_score=np.ones(1, dtype=np.float32),
                        keypoints=keypoints[None, :, :2].copy(),
                        keypoints_visible=np.minimum(1, keypoints[None, :, 2]),
                        num_keypoints=int((keypoints[:, 2] > 0).sum()),
                        is_pseudo=False,
                        is_hidden_target=number not in frame_tracks,
                        neighbour_sides=sides,
                    )
                    data_list.append(info)
        return data_list

    @staticmethod
    def _labelled_side(frame_tracks: dict, number: Optional[int], track_id: int):
        """``(frame, keypoints (K, 3), bbox xywh)`` of a labelled person, or None."""
        if number is None:
            return None
        entry = frame_tracks.get(number, {}).get(track_id)
        if entry is None or entry[1] < 1 or 'bbox' not in entry[2] \
                or entry[0][:, 2].max() <= 0:
            return None  # not labelled there (or only pseudo-labelled), or no box
        return (number, entry[0].copy(), np.asarray(entry[2]['bbox'][:4], np.float32))

    def _detection_samples(self, videos: Dict[str, VideoIndex]) -> List[dict]:
        detections = load_json(self.bbox_file)
        if not isinstance(detections, list):
            raise PoseTrackAnnotationError(f'{self.bbox_file}: expected a list of detections')
        frame_of_image: Dict[int, Tuple[VideoIndex, int]] = {}
        frame_of_name: Dict[str, Tuple[VideoIndex, int]] = {}
        for video in videos.values():
            for number, frame in video.frames.items():
                for key in ('frame_id', 'id'):
                    if key in frame.image:
                        frame_of_image[int(frame.image[key])] = (video, number)
                frame_of_name[frame.image['file_name']] = (video, number)
        num_keypoints = self.metainfo['num_keypoints']
        data_list = []
        for index, det in enumerate(detections):
            if det.get('category_id', 1) != 1:
                continue
            for key in ('bbox', 'score'):
                if key not in det:
                    raise PoseTrackAnnotationError(
                        f'{self.bbox_file}: detection #{index} has no field {key!r}')
            if 'image_name' in det:
                found = frame_of_name.get(det['image_name'])
                field_value = ('image_name', det['image_name'])
            else:
                found = frame_of_image.get(int(det.get('image_id', -1)))
                field_value = ('image_id', det.get('image_id'))
            if found is None:
                raise PoseTrackAnnotationError(
                    f'{self.bbox_file}: detection #{index} field "{field_value[0]}"='
                    f'{field_value[1]} matches no frame of {self.ann_file}')
            video, number = found
            info = self._sample_info(video, number, det['bbox'], -1, None)
            info.update(
                id=index,
                category_id=1,
                bbox_score=np.array([det['score']], dtype=np.float32),
                keypoints=np.zeros((1, num_keypoints, 2), np.float32),
                keypoints_visible=np.ones((1, num_keypoints), np.float32),
                num_keypoints=num_keypoints,
                is_pseudo=False,
            )
            data_list.append(info)
        return data_list

    # ------------------------------------------------------------------ sampling
    def _add_neighbour_fields(self, data_info: dict) -> None:
        """Inputs of a propagation triple; training drops a side with ``one_sided_prob``."""
        sides = list(data_info.pop('neighbour_sides'))
        if not self.test_mode and sides[0] is not None and sides[1] is not None \
                and np.random.rand() < self.propagation_triples['one_sided_prob']:
            sides[np.random.randint(2)] = None
        data_info.update(neighbour_fields(data_info['frame_number'], *sides,
                                          self.metainfo['num_keypoints']))

    def sample_offsets(self) -> np.ndarray:
        """Frame offsets of one sample, sorted, containing 0 exactly once."""
        if self.frame_sampler_mode == 'fixed':
            return np.asarray(self.frame_indices)
        num_before = sum(offset < 0 for offset in self.frame_indices)
        num_after = sum(offset > 0 for offset in self.frame_indices)
        low, high = self.window
        before = np.random.choice(np.arange(low, 0), num_before, replace=False)
        after = np.random.choice(np.arange(1, high + 1), num_after, replace=False)
        return np.sort(np.concatenate([before, [0], after]).astype(np.int64))

    def get_data_info(self, idx: int) -> dict:
        data_info = super().get_data_info(idx)
        if self.propagation_pairs is None:
            offsets = self.sample_offsets()
            key_frame_index = int(np.flatnonzero(offsets == 0)[0])
            if self.propagation_triples is not None:
                self._add_neighbour_fields(data_info)
        else:
            # Evaluation draws the same source for a sample every time.
            rng = np.random.RandomState(idx) if self.test_mode else np.random
            source_position = int(rng.choice(self._source_positions(data_info)))
            source_offset = source_position + self.window[0]
            # Source first, target (offset 0) last: frames in between, in that order.
            offsets = pair_window_offsets(source_offset, self.num_frames)
            key_frame_index = self.num_frames - 1
            data_info['source_offset'] = int(data_info['window_numbers'][source_position] -
                                             data_info['frame_number'])
            # The crop comes from the source's box: at inference the target's is unknown.
            data_info['bbox'] = data_info['window_bboxes'][source_position][None].copy()
        positions = offsets - self.window[0]
        window_keypoints = data_info.pop('window_keypoints')[positions]
        window_weights = data_info.pop('window_weights')[positions]
        window_paths = data_info.pop('window_paths')
        window_numbers = data_info.pop('window_numbers')[positions]
        data_info.pop('window_bboxes')
        data_info.update(
            frame_paths=[window_paths[p] for p in positions],
            frame_offsets=(window_numbers - data_info['frame_number']).tolist(),
            key_frame_index=key_frame_index,
            num_frames=len(offsets),
            frame_keypoints=window_keypoints[:, None, :, :2].copy(),
            frame_keypoints_visible=(np.minimum(1, window_keypoints[:, None, :, 2]) *
                                     window_weights[:, None, None]),
            frame_labeled=(window_weights > 0).astype(np.float32),
        )
        if self._bad_frame_paths:  # LoadVideoFrames replaces these without reading them
            data_info['bad_frame_paths'] = [
                path for path in data_info['frame_paths'] if path in self._bad_frame_paths]
        return data_info
