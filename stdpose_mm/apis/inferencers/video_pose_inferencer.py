"""MMPose's 2D pose inferencer for T-frame (video) top-down models, with tracking and streaming.

:class:`VideoPoseInferencer` is MMPose's :class:`~mmpose.apis.Pose2DInferencer` with four
changes, everything else (input handling for a video file, a folder or ``'webcam:<id>'``,
the MMDetection detector, visualizer, ``out_dir`` with the predictions json and the rendered
mp4, the ``predictions`` / ``visualization`` results yielded per frame) being MMPose's:

1. **Tracking.** Each frame's person boxes (from the detector, from ``bboxes`` = a
   detections json or per-frame arrays, or one whole-frame box when neither is given) are
   linked into tracks by :class:`~stdpose_mm.apis.tracking.IoUTracker`. Every predicted
   instance carries its ``track_id`` (``pred_instances.track_ids`` in data samples,
   ``'track_id'`` in the prediction dicts) and the video shows ``#<id>`` beside each person.
2. **One geometry with training and testing: the key frame's box cuts every frame.** A
   person's T-frame window is the frames at the key frame + the model's ``frame_indices``
   offsets, clamped to the video, every one cut with the *key frame's* box of the person
   (MMPose's ``TopdownAffine`` at the model's input size), exactly as
   ``PoseTrackVideoDataset`` + ``VideoTopdownAffine`` do in training and in
   ``tools/test.py``. Chosen over the other option, training and testing with per-frame
   track boxes, because it keeps every trained checkpoint valid (the DAM residuals and the
   motion encoders learned motion in a fixed crop, not re-centred motion) and needs no track
   boxes for unlabelled support frames; tested: with the same boxes (ground truth or the
   val detections json) the per-person keypoints equal ``model.test_step``'s on the
   dataset and the built-in PoseTrack metric gives the same AP
   (:func:`~stdpose_mm.apis.inferencers.evaluate_video_predictions` scores the
   inferencer's output with it).
3. **Streaming with a feature cache** (``streaming=True``, the default). A crop is
   identified by its frame and its box; its backbone features (and the flipped crop's, with
   flip test) are cached (:class:`~stdpose_mm.apis.streaming.CropFeatureCache`) and reused
   by every window that cuts that frame with that box: a person whose box stays the same
   (fixed or whole-frame boxes, a static camera with steady detections) costs one backbone
   pass per frame, as with a single-frame model; a box that moves from frame to frame gives
   up to T new crops per window (what the key-box geometry costs). All new crops of a frame
   (every person) go through the backbone in one call, and the temporal necks and the head
   run once per frame on all its people's windows. With ``streaming=False`` the backbone
   is recomputed on all T crops of every window, as video pose estimators usually do: the
   same numbers, T times the backbone cost.
4. **Delay and causal mode.** A centred model (frame offsets -2..+2) needs the future
   frames of a window: the result for frame ``i`` is produced when frame ``i + (T-1)/2``
   has arrived (a fixed delay of (T-1)/2 frames, 2 for T=5), and the last frames are
   flushed at the end of the input with their windows clamped to the last frame. Results
   still come out once per frame, in order, each with its own frame's visualization.
   ``causal=True`` (for live input) uses only past frames: the window is the track's T most
   recent frames (clamped at its start) with the current frame as the key frame at the last
   position, and each frame's result is produced as soon as it arrives. A model trained with
   the key frame in the centre sees its key frame at an unfamiliar position and loses
   accuracy in causal mode; train it with ``key_frame_index=-1`` and past-only
   ``frame_indices`` (e.g. ``[-4, -3, -2, -1, 0]``) for live use: such a model is causal
   (no delay) without ``causal=True``.

Detector: any MMDetection model (``det_model``/``det_weights``/``det_cat_ids``, MMPose's
detector path unchanged: score threshold ``bbox_thr``, NMS ``nms_thr``, a whole-frame box on a
frame where it finds nobody). For people in the wild use MMPose's default body detector,
RTMDet-m on COCO + Objects365 people (``mmpose/.mim/demo/mmdetection_cfg/
rtmdet_m_640-8xb32_coco-person.py`` with ``rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.pth``,
``det_cat_ids=0``); PoseTrack results in the literature use the released detections instead
(``bboxes=<detections json>``). With ``bboxes`` given, a frame without boxes has no people.

A folder of frames is treated as a video (sorted file names, ``fps`` frames per second):
one mp4 and one predictions json, as for a video file.

Example:
    >>> from stdpose_mm.apis import VideoPoseInferencer
    >>> inferencer = VideoPoseInferencer('configs/stdpose_hrnet_pt17.py', 'stdpose.pth',
    ...                                  det_model='rtmdet_m_8xb32-300e_coco.py',
    ...                                  det_weights='rtmdet_m.pth', det_cat_ids=0)
    >>> for result in inferencer('video.mp4', out_dir='outputs'):
    ...     print([p['track_id'] for p in result['predictions'][0]])
"""
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmengine.infer.infer import ConfigType, ModelType
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.registry import INFERENCERS, MODELS
from mmpose.structures import PoseDataSample, merge_data_samples
from torch import Tensor

from ...datasets.posetrack_video_dataset import DEFAULT_FRAME_OFFSETS
from ...engine.run_checks import refuse_incomplete, watch_next_load
from ...models.pose_estimators import VideoTopdownPoseEstimator
from ..streaming import CropFeatureCache, clamped_window
from ..tracking import IoUTracker
from .detections import FrameDetections
from .inputs import VideoInputError, check_video_input, list_frame_files

# Video transforms of the test pipeline -> their one-frame MMPose counterparts (same
# arguments for the affine), used to cut one crop per (track, frame).
_ONE_FRAME_TRANSFORMS = {
    'LoadVideoFrames': dict(type='LoadImage'),
    'VideoTopdownAffine': None,  # keeps its arguments, becomes TopdownAffine
    'PackVideoPoseInputs': dict(type='PackPoseInputs'),
}


def is_video_pose_config(model: Union[ModelType, str, None]) -> bool:
    """Whether a pose2d config (path, Config or dict) builds a :class:`VideoTopdownPoseEstimator`.

    A model alias or metafile name (a string that is no file) and ``None`` are not configs:
    False, and MMPose resolves them. A config file that cannot be read, or a config without
    ``model.type``, raises (naming the file): a broken video config fails loudly instead of
    falling back to MMPose's single-frame inferencer. A ``model.type`` that no registry
    knows is left to MMPose, whose build error names it.

    Args:
        model (str | dict | Config | None): ``pose2d`` as given to ``MMPoseInferencer``.

    Returns:
        bool: True for a video model's config.

    Raises:
        ValueError: The config has no ``model.type``.
    """
    if model is None or (isinstance(model, str) and not os.path.isfile(model)):
        return False
    source = model if isinstance(model, str) else 'the pose2d config'
    if isinstance(model, str):
        model = Config.fromfile(model)  # its errors name the file
    try:
        model_type = model['model']['type']
    except (KeyError, TypeError, IndexError) as err:
        raise ValueError(f'{source}: no model.type to build (a pose2d config needs '
                         '`model = dict(type=..., ...)`)') from err
    model_cls = model_type if isinstance(model_type, type) else MODELS.get(model_type)
    return model_cls is not None and issubclass(model_cls, VideoTopdownPoseEstimator)


def crop_box_key(box: np.ndarray) -> bytes:
    """Identity of a crop box (x1, y1, x2, y2[, score]): equal boxes give equal crops."""
    return np.ascontiguousarray(box[:4], dtype=np.float32).tobytes()


@dataclass
class _Frame:
    """One input frame waiting for the windows that need it.

    Attributes:
        index (int): Frame number (position in the input).
        input: What the user gave (array or path), shown by the visualizer.
        img_path (str): The frame's path (or MMPose's generated name for an array).
        image (np.ndarray): The decoded frame (h, w, 3) BGR, cut once per crop box.
        boxes (dict): Track id -> the person's box (5,) x1, y1, x2, y2, score.
        crops (dict): Crop box key -> this frame cut with that box (packed), for every box
            a window has cut it with so far.
    """

    index: int
    input: Any
    img_path: str
    image: np.ndarray
    boxes: Dict[int, np.ndarray] = field(default_factory=dict)
    crops: Dict[bytes, dict] = field(default_factory=dict)


@dataclass
class WindowJob:
    """What :meth:`VideoPoseInferencer.forward` needs to produce one frame's result.

    Attributes:
        key_frame (int): The frame the result is for.
        img_path (str): Its path (or MMPose's generated name for an array input).
        new_crops (list): ``((frame, box_key), packed_crop)`` for every crop this job's
            windows need that no earlier job has cut; they enter the feature cache (each
            crop exactly once), all people of the frame in one backbone call.
        windows (list): ``(track_id, frames)`` per person on the key frame: T frame numbers.
        box_keys (list): Per window, the key of the key frame's box, which cuts all T frames
            (:func:`crop_box_key`); crop ``(frame, box_key)`` is a cache entry.
        key_crops (list): The packed key-frame crop of each window (its data sample holds
            the crop geometry used to decode keypoints into the image).
        key_position (int): Position of the key frame in the windows.
        oldest_needed (int): Oldest frame a later window can use (older cache entries go).
    """

    key_frame: int
    img_path: str
    new_crops: List[Tuple[Tuple[int, bytes], dict]]
    windows: List[Tuple[int, List[int]]]
    box_keys: List[bytes]
    key_crops: List[dict]
    key_position: int
    oldest_needed: int

    def window_keys(self) -> List[List[Tuple[int, bytes]]]:
        """The cache keys ``(frame, box_key)`` of each window's T crops."""
        return [[(frame, box_key) for frame in frames]
                for (_, frames), box_key in zip(self.windows, self.box_keys)]


@INFERENCERS.register_module(name='video-pose-estimation')
@INFERENCERS.register_module()
class VideoPoseInferencer(Pose2DInferencer):
    """:class:`mmpose.apis.Pose2DInferencer` for :class:`VideoTopdownPoseEstimator` models.

    See the module docstring for tracking, windows, streaming, delay and causal mode.

    Args:
        model (str | dict | Config): The video model's config (path or object).
        weights (str, optional): Checkpoint path; random weights when None.
        device (str, optional): Device; MMEngine's choice when None.
        scope (str, optional): Registry scope. Defaults to 'mmpose'.
        det_model (str, optional): MMDetection config (path or metafile name) or
            ``'whole_image'``. Without one, each frame has one whole-frame box unless
            ``bboxes`` are given at call time.
        det_weights (str, optional): Detector checkpoint (random weights when None).
        det_cat_ids (int | tuple, optional): Detector class ids kept as people (0 on COCO).
        show_progress (bool): Progress bar while running. Defaults to False.
        causal (bool): Default for the call-time ``causal`` argument. Defaults to False.
        streaming (bool): Default for the call-time ``streaming`` argument (feature cache
            on). Defaults to True.
        tracking_thr (float): IoU needed to continue a track. Defaults to 0.3.
        max_missed (int): Frames a track may miss before it expires. Defaults to 5.
        fps (float): Frame rate of the mp4 rendered from a folder of frames. Defaults to 25.

    Call arguments on top of MMPose's (``inferencer(inputs, **kwargs)``):
        bboxes (str | list, optional): A detections json (see
            :mod:`stdpose_mm.apis.inferencers.detections`) or a per-frame list of
            (N, 4|5) xyxy[score] arrays; used instead of the detector.
        causal, tracking_thr, max_missed: Override the constructor's values for this call.
        streaming (bool, optional): Feature cache on (True) or backbone recomputed on
            every window frame (False).
    """

    preprocess_kwargs: set = Pose2DInferencer.preprocess_kwargs | {
        'causal', 'tracking_thr', 'max_missed'}
    # MMPose's pose_based_nms suppresses duplicate people on one image; tracks already keep
    # one person per box, and dropping instances after tracking would break track ids.
    forward_kwargs: set = {'merge_results', 'streaming'}

    def __init__(self,
                 model: Union[ModelType, str],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmpose',
                 det_model: Optional[Union[ModelType, str]] = None,
                 det_weights: Optional[str] = None,
                 det_cat_ids: Optional[Union[int, Tuple]] = None,
                 show_progress: bool = False,
                 causal: bool = False,
                 streaming: bool = True,
                 tracking_thr: float = 0.3,
                 max_missed: int = 5,
                 fps: float = 25.) -> None:
        super().__init__(model, weights, device, scope, det_model, det_weights, det_cat_ids,
                         show_progress)
        if not isinstance(self.model, VideoTopdownPoseEstimator):
            raise TypeError(f'{type(self).__name__} needs a VideoTopdownPoseEstimator, got '
                            f'{type(self.model).__name__}; use MMPose\'s Pose2DInferencer')
        if type(self.model).extract_feat is not VideoTopdownPoseEstimator.extract_feat:
            # Windows are rebuilt here from per-frame backbone features + the necks; a model
            # with its own feature path (e.g. pose propagation's source heatmaps) needs more.
            raise TypeError(f'{type(self.model).__name__} changes extract_feat; video '
                            'inference supports backbone + temporal necks + head models')
        self.causal = causal
        self.streaming = streaming
        self.tracking_thr = tracking_thr
        self.max_missed = max_missed
        self.fps = fps
        self.frame_offsets = self._frame_offsets_from_config()
        self.num_frames = len(self.frame_offsets)
        self.reset_stream()

    # ------------------------------------------------------------------ construction
    def _init_model(self, cfg: ConfigDict, weights: Optional[str], device: str = 'cpu'):
        # Video configs inherit no MMPose dataset config, so they lack data_mode; they are
        # top-down (the detector and box handling of Pose2DInferencer apply).
        cfg.setdefault('data_mode', 'topdown')
        self._weights_name = weights
        return super()._init_model(cfg, weights, device)

    def _load_weights_to_model(self, model: torch.nn.Module, checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """MMPose's loading, refused when the checkpoint does not fill the model.

        Raises:
            CheckpointMismatchError: Model tensors stay at init (another model's file, or a
                single-frame checkpoint in a temporal config): how many the file fills and
                which are missing.
        """
        if checkpoint is None:
            return super()._load_weights_to_model(model, checkpoint, cfg)
        handle = watch_next_load(model, checkpoint, str(getattr(self, '_weights_name', '')),
                                 lambda fill: refuse_incomplete(fill, 'inference'))
        try:
            super()._load_weights_to_model(model, checkpoint, cfg)
        finally:
            handle.remove()

    def _init_pipeline(self, cfg: ConfigDict) -> Callable:
        """The test pipeline turned into a one-crop pipeline (one frame, one box)."""
        init_default_scope(cfg.get('default_scope', 'mmpose'))
        steps = []
        for step in cfg.test_dataloader.dataset.pipeline:
            step = dict(step)
            name = step['type'].split('.')[-1] if isinstance(step['type'], str) else ''
            if name == 'VideoTopdownAffine':
                step['type'] = 'TopdownAffine'
            elif name in _ONE_FRAME_TRANSFORMS:
                step = dict(_ONE_FRAME_TRANSFORMS[name])
            steps.append(step)
        return Compose(steps)

    def _init_visualizer(self, cfg: ConfigDict):
        # Same visualizer, plus track ids.
        if cfg.get('visualizer', {}).get('type') == 'PoseLocalVisualizer':
            cfg.visualizer.type = 'TrackPoseLocalVisualizer'
        return super()._init_visualizer(cfg)

    def _frame_offsets_from_config(self) -> List[int]:
        dataset = self.cfg.test_dataloader.dataset
        offsets = sorted(int(o) for o in dataset.get('frame_indices', DEFAULT_FRAME_OFFSETS))
        if dataset.get('frame_sampler_mode', 'fixed') != 'fixed' or \
                dataset.get('propagation_pairs') is not None:
            raise ValueError('video inference supports fixed frame_indices windows only')
        key_position = offsets.index(0)
        expected = self.model.resolve_key_frame_index(len(offsets))
        if expected != key_position:
            raise ValueError(f'frame_indices {offsets} put the key frame at {key_position} '
                             f'but the model expects it at {expected}')
        return offsets

    def window_layout(self, causal: bool = False) -> Tuple[List[int], int]:
        """Frame offsets of a window and the key frame's position in it.

        Args:
            causal (bool): Past frames only, key frame last.

        Returns:
            tuple: ``(offsets, key_position)``, e.g. ``([-2, -1, 0, 1, 2], 2)`` or, causal,
            ``([-4, -3, -2, -1, 0], 4)``.
        """
        if causal:
            return list(range(1 - self.num_frames, 1)), self.num_frames - 1
        return list(self.frame_offsets), self.frame_offsets.index(0)

    def delay(self, causal: Optional[bool] = None) -> int:
        """Frames between a frame's arrival and its result: (T-1)/2 centred, 0 causal."""
        causal = self.causal if causal is None else causal
        return max(0, max(self.window_layout(causal)[0]))

    def reset_stream(self) -> None:
        """Empties the feature cache (done at the start of every call)."""
        self.cache = CropFeatureCache()
        self._cache_streaming: Optional[bool] = None

    # ------------------------------------------------------------------ inputs
    def _inputs_to_list(self, inputs: Any) -> Iterable:
        """MMPose's input handling, with paths checked first and folders read as videos.

        Raises:
            VideoInputError: A path input that gives no frames (missing, 0 bytes,
                undecodable, a folder without images, neither image nor video).
        """
        self._input_source = None
        if not isinstance(inputs, (str, os.PathLike)):
            return super()._inputs_to_list(inputs)
        inputs = os.fspath(inputs)
        if check_video_input(inputs) != 'folder':
            self._input_source = inputs
            return super()._inputs_to_list(inputs)
        # A folder of frames is a video: one mp4 and one json, like a video file.
        frames = list_frame_files(inputs)
        self._input_source = inputs
        self._video_input = True
        height, width = mmcv.imread(frames[0]).shape[:2]
        self.video_info = dict(
            fps=self.fps, name=os.path.basename(os.path.normpath(inputs)) + '.mp4',
            writer=None, width=width, height=height, predictions=[])
        return frames

    def _frame_boxes(self, frame: Any, index: int, detections: Optional[FrameDetections],
                     bbox_thr: float, nms_thr: float) -> _Frame:
        """One frame, decoded, with its people's boxes (detector, given boxes or whole frame).

        Raises:
            VideoInputError: A frame path that does not decode as an image.
        """
        img_path = frame if isinstance(frame, str) else f'{index}.jpg'.rjust(10, '0')
        image = frame if isinstance(frame, np.ndarray) else mmcv.imread(frame)
        if image is None:
            raise VideoInputError(f'frame {frame} does not decode as an image', str(frame))
        if detections is None:
            # MMPose's own path: its detector, or one whole-frame box without one.
            crops = self.preprocess_single(image, index, bbox_thr=bbox_thr, nms_thr=nms_thr)
            boxes = [np.concatenate([crop['data_samples'].gt_instances.bboxes[0],
                                     crop['data_samples'].gt_instances.bbox_scores[:1]])
                     for crop in crops]
        else:
            boxes = [box for box in detections(index, img_path) if box[4] > bbox_thr]
        frame_info = _Frame(index, frame, img_path, image)
        frame_info.boxes = dict(enumerate(np.asarray(box, np.float32) for box in boxes))
        return frame_info

    def _cut(self, frame: _Frame, box: np.ndarray) -> dict:
        """``frame`` cut with ``box`` by the one-crop test pipeline (packed)."""
        return self.pipeline(dict(img=frame.image, img_path=frame.img_path,
                                  bbox=box[None, :4].copy(), bbox_score=box[4:5].copy(),
                                  **self.model.dataset_meta))

    def preprocess(self,
                   inputs: Iterable,
                   batch_size: int = 1,
                   bboxes: Optional[Union[str, Sequence]] = None,
                   bbox_thr: float = 0.3,
                   nms_thr: float = 0.3,
                   causal: Optional[bool] = None,
                   tracking_thr: Optional[float] = None,
                   max_missed: Optional[int] = None,
                   **kwargs):
        """Detects, tracks and crops each frame; yields one job per frame, delayed.

        Args:
            inputs (Iterable): Frames (arrays or paths), a video reader or a webcam generator.
            batch_size (int): Ignored: frames go one at a time (as in MMPose for videos).
            bboxes (str | list, optional): Detections json path / list, or per-frame boxes.
            bbox_thr (float): Minimum box score. Defaults to 0.3.
            nms_thr (float): Detector NMS IoU threshold. Defaults to 0.3.
            causal (bool, optional): Past-only windows, no delay.
            tracking_thr (float, optional): Tracker IoU threshold.
            max_missed (int, optional): Tracker expiry, in missed frames.

        Yields:
            tuple: ``(WindowJob, [frame input])`` for frames 0, 1, ... in order; frame
            ``i``'s job comes when frame ``i + delay`` has arrived (or at the end).

        Raises:
            VideoInputError: A path input (video file, folder) gave no frame at all.
        """
        # The path this call's inputs came from (set by _inputs_to_list), for errors.
        source, self._input_source = getattr(self, '_input_source', None), None
        causal = self.causal if causal is None else causal
        offsets, key_position = self.window_layout(causal)
        delay = max(0, max(offsets))
        tracker = IoUTracker(self.tracking_thr if tracking_thr is None else tracking_thr,
                             self.max_missed if max_missed is None else max_missed)
        given = bboxes is not None and (isinstance(bboxes, (str, os.PathLike)) or len(bboxes))
        detections = FrameDetections(bboxes) if given else None
        self.reset_stream()
        frames: Dict[int, _Frame] = {}
        next_key, last = 0, -1

        def job(key: int) -> WindowJob:
            # Key-box geometry: every frame of a person's window is cut with the key frame's
            # box, frames clamped to the video, as PoseTrackVideoDataset + tools/test.py do.
            frame = frames[key]
            numbers = clamped_window(key, offsets, 0, last)
            new_crops, windows, box_keys, key_crops = [], [], [], []
            for track_id, box in frame.boxes.items():
                box_key = crop_box_key(box)
                for number in dict.fromkeys(numbers):
                    if box_key not in frames[number].crops:  # not cut by an earlier window
                        crop = frames[number].crops[box_key] = self._cut(frames[number], box)
                        new_crops.append(((number, box_key), crop))
                windows.append((track_id, numbers))
                box_keys.append(box_key)
                key_crops.append(frame.crops[box_key])
            return WindowJob(key, frame.img_path, new_crops, windows, box_keys, key_crops,
                             key_position, key + 1 + min(offsets))

        for last, frame_input in enumerate(inputs):
            frame = self._frame_boxes(frame_input, last, detections, bbox_thr, nms_thr)
            boxes = list(frame.boxes.values())
            track_ids = tracker.update(np.stack(boxes)[:, :4] if boxes else np.zeros((0, 4)),
                                       last)
            frame.boxes = dict(zip(track_ids.tolist(), boxes))
            frames[last] = frame
            while next_key <= last - delay:
                yield job(next_key), [frames[next_key].input]
                next_key += 1
                for old in [f for f in frames if f < next_key + min(offsets)]:
                    del frames[old]  # no later window reaches back this far
        if last < 0 and source is not None:  # e.g. a video whose frames do not decode
            raise VideoInputError(f'no frame of the input {source} could be read', source)
        while next_key <= last:  # the end: windows clamp to the last frame
            yield job(next_key), [frames[next_key].input]
            next_key += 1

    # ------------------------------------------------------------------ model
    def _backbone(self, images: Tensor) -> Tensor:
        """Last backbone level of (N, 3, H, W) crops -> (N, C, h, w)."""
        feats = self.model.backbone(images)
        return feats[-1] if isinstance(feats, (list, tuple)) else feats

    def _views(self, images: Tensor) -> List[Tensor]:
        """The crops, and their mirror images when the model's flip test is on."""
        if self.model.test_cfg.get('flip_test', False):
            return [images, images.flip(-1)]
        return [images]

    def video_features(self, frame_feats: Tensor, key_position: int) -> dict:
        """The model's temporal necks on per-frame backbone features.

        This is :meth:`VideoTopdownPoseEstimator.forward_necks` (what ``extract_feat`` runs
        after its backbone pass), so cached features give what recomputed ones give, except
        that a neck with a ``forward_key_frame`` method (inference only: its last
        transformer block computes the key frame's tokens alone, the only ones it outputs)
        runs that instead: the same outputs up to float rounding (tested).

        Args:
            frame_feats (Tensor): Last-level backbone features (B, T, C, h, w).
            key_position (int): Key frame position in the window.

        Returns:
            dict: The video features for the head (see ``docs/data_contract.md``).
        """
        video_feats = {'frame_feats': frame_feats, 'key_frame_index': key_position}
        for neck in self.model.temporal_necks.values():
            key_frame_forward = getattr(neck, 'forward_key_frame', None)
            if key_frame_forward is not None and not neck.training:
                video_feats = key_frame_forward(video_feats)
            else:
                video_feats = neck(video_feats)
        return video_feats

    def _cache_new_crops(self, job: WindowJob, streaming: bool) -> None:
        if not job.new_crops:
            return
        batch = self.model.data_preprocessor(
            self.collate_fn([crop for _, crop in job.new_crops]), training=False)
        if streaming:
            # All new crops (every person) in one backbone call; each cached entry serves
            # every window that cuts its frame with its box.
            views = [self._backbone(view) for view in self._views(batch['inputs'])]
            entries = list(zip(*(view.unbind(0) for view in views)))
        else:
            entries = list(batch['inputs'].unbind(0))  # normalised crops (3, H, W)
        for (key, _), entry in zip(job.new_crops, entries):
            self.cache.put(key, entry)

    def _window_features(self, job: WindowJob, streaming: bool) -> List[Tensor]:
        """Per-view (B, T, C, h, w) features of the job's windows."""
        windows = [self.cache.window(keys) for keys in job.window_keys()]
        if streaming:
            return [torch.stack([torch.stack([entry[v] for entry in window])
                                 for window in windows])
                    for v in range(len(windows[0][0]))]
        clips = torch.stack([torch.stack(window) for window in windows])  # (B, T, 3, H, W)
        num_windows, num_frames = clips.shape[:2]
        # The backbone again on every window frame: T passes per person and frame.
        return [self._backbone(view.flatten(0, 1)).unflatten(0, (num_windows, num_frames))
                for view in self._views(clips)]

    def _empty_sample(self, job: WindowJob) -> PoseDataSample:
        num_keypoints = self.model.dataset_meta['num_keypoints']
        sample = PoseDataSample(metainfo=dict(img_path=job.img_path))
        sample.pred_instances = InstanceData(
            keypoints=np.zeros((0, num_keypoints, 2), np.float32),
            keypoint_scores=np.zeros((0, num_keypoints), np.float32),
            bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros(0, np.float32),
            track_ids=np.zeros(0, np.int64))
        return sample

    @torch.no_grad()
    def forward(self, inputs: WindowJob, merge_results: bool = True,
                streaming: Optional[bool] = None) -> List[PoseDataSample]:
        """Predicts the poses of one key frame's people from their T-frame windows.

        Args:
            inputs (WindowJob): A job from :meth:`preprocess`.
            merge_results (bool): One data sample for the frame (True) or one per person.
            streaming (bool, optional): Cached backbone features (True) or the backbone
                recomputed on every window frame (False). Must not change within a call.

        Returns:
            list[PoseDataSample]: Predictions in image coordinates with ``track_ids``.
        """
        job = inputs
        streaming = self.streaming if streaming is None else streaming
        if self._cache_streaming is None:
            self._cache_streaming = streaming
        elif self._cache_streaming != streaming:
            raise ValueError('streaming cannot change in the middle of a video')
        self._cache_new_crops(job, streaming)
        if not job.windows:
            return [self._empty_sample(job)]
        feats = [self.video_features(view, job.key_position)
                 for view in self._window_features(job, streaming)]
        data_samples = [crop['data_samples'] for crop in job.key_crops]
        preds = self.model.head.predict(feats if len(feats) > 1 else feats[0], data_samples,
                                        test_cfg=self.model.test_cfg)
        pred_instances, pred_fields = preds if isinstance(preds, tuple) else (preds, None)
        results = self.model.add_pred_to_datasample(pred_instances, pred_fields, data_samples)
        for result, (track_id, _) in zip(results, job.windows):
            result.pred_instances.track_ids = np.array([track_id], dtype=np.int64)
        self.cache.drop_before(job.oldest_needed)
        return [merge_data_samples(results)] if merge_results else results
