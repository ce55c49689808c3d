"""Synthetic PoseTrack18-format video data set generator.

Writes the same folders and json files as the real PoseTrack18 release (plus MMPose's
``width``/``height``/``mask_file`` image keys and a human-detection file), so the MMPose
PoseTrack18 dataset classes and the ``stdpose_mm`` video dataset can read it unchanged::

    <out>/images/<split>/<video>/<frame:06d>.jpg
    <out>/mask/<split>/<video>/<frame:06d>.jpg           (ignore regions in white)
    <out>/annotations/<split>/<video>.json               (one file per video)
    <out>/annotations/posetrack18_<split>.json           (all videos of the split)
    <out>/annotations/posetrack18_<split>_human_detections.json

Each annotation carries one extra key, ``occluded`` (17 ints in {0, 1}): joints that are
labeled but hidden by an occluder or by a person in front, so evaluation can report accuracy on
occluded joints separately.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ...utils.atomic_io import atomic_write_bytes, atomic_write_json
from . import render
from . import skeleton as sk
from .planning import (
    DEFAULT_IMAGE_SIZE,
    GenerationConfig,
    VideoPlan,
    frame_image_id,
    plan_video,
)

SPLITS: tuple[str, ...] = ('train', 'val')
_SPLIT_SEED_CODE = {'train': 0, 'val': 1}
_MAX_VIDEOS_PER_SPLIT = 99999
_MAX_FRAMES = 9999  # the frame number has 4 digits in PoseTrack image ids
_MIN_SIZE = 64
# Objects moving less than this many pixels during the exposure are drawn sharp.
_MIN_BLUR_PX = 2.5

DEFAULT_NUM_VIDEOS: dict[str, int] = {'train': 6, 'val': 2}
DEFAULT_NUM_FRAMES: tuple[int, int] = (30, 40)
DEFAULT_LABEL_STRIDE = 2

CATEGORIES: list[dict[str, Any]] = [{
    'supercategory': 'person',
    'id': 1,
    'name': 'person',
    'keypoints': list(sk.KEYPOINT_NAMES),
    'skeleton': [list(pair) for pair in sk.SKELETON],
}]


# ----------------------------------------------------------------------------- validation


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f'{name} must be an integer, got {value!r}')
    return int(value)


def _validate(out_dir: str | os.PathLike, num_videos: Mapping[str, int] | None,
              num_frames: int | Sequence[int], image_size: Sequence[int],
              label_stride: int | None, labeled_ratio: float | None, val_all_labeled: bool,
              seed: int, people_per_video: Sequence[int], occluder_prob: float,
              jpeg_quality: int, write_masks: bool, motion_speed: float = 1.0) -> GenerationConfig:
    """Checks every argument and returns a normalised config (raises ValueError)."""
    videos = dict(DEFAULT_NUM_VIDEOS if num_videos is None else num_videos)
    if not videos:
        raise ValueError('num_videos is empty: ask for at least one split')
    for split, count in videos.items():
        if split not in SPLITS:
            raise ValueError(f'unknown split {split!r} (expected one of: {", ".join(SPLITS)})')
        count = _as_int(f'num_videos[{split!r}]', count)
        if not 1 <= count <= _MAX_VIDEOS_PER_SPLIT:
            raise ValueError(f'num_videos[{split!r}] must be in [1, {_MAX_VIDEOS_PER_SPLIT}], '
                             f'got {count} (leave the split out instead of asking for 0)')
        videos[split] = count
    videos = {split: videos[split] for split in SPLITS if split in videos}

    if isinstance(num_frames, Sequence) and not isinstance(num_frames, str):
        if len(num_frames) != 2:
            raise ValueError(f'num_frames must be an int or a (min, max) pair, got {num_frames!r}')
        frames_range = (_as_int('num_frames[0]', num_frames[0]),
                        _as_int('num_frames[1]', num_frames[1]))
    else:
        frames_range = (_as_int('num_frames', num_frames),) * 2
    if not 1 <= frames_range[0] <= frames_range[1] <= _MAX_FRAMES:
        raise ValueError(f'num_frames must be >= 1, <= {_MAX_FRAMES} and min <= max, '
                         f'got {num_frames!r}')

    if len(image_size) != 2:
        raise ValueError(f'image_size must be (width, height), got {image_size!r}')
    width, height = (_as_int('image width', image_size[0]),
                     _as_int('image height', image_size[1]))
    if width < _MIN_SIZE or height < _MIN_SIZE or width > 8192 or height > 8192:
        raise ValueError(f'image size must be between {_MIN_SIZE} and 8192 pixels per side, '
                         f'got {width}x{height}')

    if label_stride is not None and labeled_ratio is not None:
        raise ValueError('give either label_stride or labeled_ratio, not both')
    if label_stride is None and labeled_ratio is None:
        label_stride = DEFAULT_LABEL_STRIDE
    if label_stride is not None:
        label_stride = _as_int('label_stride', label_stride)
        if label_stride < 1:
            raise ValueError(f'label_stride must be >= 1, got {label_stride}')
    if labeled_ratio is not None:
        labeled_ratio = float(labeled_ratio)
        if not 0.0 < labeled_ratio <= 1.0:
            raise ValueError(f'labeled_ratio must be in (0, 1], got {labeled_ratio}')

    seed = _as_int('seed', seed)
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    if len(people_per_video) != 2:
        raise ValueError(f'people_per_video must be a (min, max) pair, got {people_per_video!r}')
    people_range = (_as_int('people_per_video[0]', people_per_video[0]),
                    _as_int('people_per_video[1]', people_per_video[1]))
    if not 1 <= people_range[0] <= people_range[1] <= 8:
        raise ValueError(f'people_per_video must satisfy 1 <= min <= max <= 8, '
                         f'got {people_per_video!r}')
    occluder_prob = float(occluder_prob)
    if not 0.0 <= occluder_prob <= 1.0:
        raise ValueError(f'occluder_prob must be in [0, 1], got {occluder_prob}')
    motion_speed = float(motion_speed)
    if not 0.25 <= motion_speed <= 4.0:
        raise ValueError(f'motion_speed must be in [0.25, 4], got {motion_speed}')
    jpeg_quality = _as_int('jpeg_quality', jpeg_quality)
    if not 1 <= jpeg_quality <= 100:
        raise ValueError(f'jpeg_quality must be in [1, 100], got {jpeg_quality}')

    out_path = Path(out_dir)
    _check_writable(out_path)
    return GenerationConfig(
        out_dir=out_path, num_videos=videos, frames_range=frames_range, width=width,
        height=height, label_stride=label_stride, labeled_ratio=labeled_ratio,
        val_all_labeled=bool(val_all_labeled), seed=seed, people_range=people_range,
        occluder_prob=occluder_prob, jpeg_quality=jpeg_quality, write_masks=bool(write_masks),
        motion_speed=motion_speed)


def _check_writable(out_dir: Path) -> None:
    """Fails early (before any rendering) when ``out_dir`` cannot be created or written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix='.write_test_')
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(f'output directory {str(out_dir)!r} is not writable: {reason}') from exc


# ----------------------------------------------------------------------------- file writing


def _encode_jpg(image: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return buffer.tobytes()


# ----------------------------------------------------------------------------- rendering


def _motion_blur(motion: np.ndarray) -> np.ndarray | None:
    """Blur kernel for a layer that moves ``motion`` pixels during the exposure, if fast."""
    if np.hypot(*motion) < _MIN_BLUR_PX:
        return None
    return render.linear_blur_kernel(float(motion[0]), float(motion[1]))


def _velocity(points: np.ndarray, frame: int) -> np.ndarray:
    """Mean displacement between neighbouring frames around ``frame`` (points: (T, ..., 2))."""
    if len(points) < 2:
        return np.zeros(2)
    prev, nxt = max(frame - 1, 0), min(frame + 1, len(points) - 1)
    disp = (points[nxt] - points[prev]) / (nxt - prev)
    return disp.reshape(-1, 2).mean(axis=0)


def _sample_mask(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Mask values at (N, 2) canvas points (0 outside the canvas)."""
    cols = np.round(points[:, 0]).astype(int)
    rows = np.round(points[:, 1]).astype(int)
    inside = (cols >= 0) & (cols < mask.shape[1]) & (rows >= 0) & (rows < mask.shape[0])
    values = np.zeros(len(points), np.float32)
    values[inside] = mask[rows[inside], cols[inside]]
    return values


def _keypoint_fields(kps_img: np.ndarray, occluded_mask: np.ndarray, width: int,
                     height: int) -> tuple[list[float], list[int], int]:
    """PoseTrack keypoint list (x, y, v) and our ``occluded`` flags for one person."""
    visible = ((kps_img[:, 0] >= 0) & (kps_img[:, 0] < width) & (kps_img[:, 1] >= 0) &
               (kps_img[:, 1] < height))
    visible[list(sk.UNLABELED_KEYPOINTS)] = False
    flat: list[float] = []
    occluded: list[int] = []
    for k in range(sk.NUM_KEYPOINTS):
        if visible[k]:
            flat += [round(float(kps_img[k, 0]), 2), round(float(kps_img[k, 1]), 2), 1]
            occluded.append(int(occluded_mask[k]))
        else:
            flat += [0, 0, 0]
            occluded.append(0)
    return flat, occluded, int(visible.sum())


def _keypoint_bbox(kps_img: np.ndarray, visible: np.ndarray, min_extent: float) -> list[float]:
    """Person box as in PoseTrack: the visible-keypoint extent enlarged 1.3x about its centre."""
    pts = kps_img[visible]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    size = np.maximum(hi - lo, min_extent) * 1.3
    return [round(float(v), 2) for v in (*(centre - size / 2), *size)]


def _detection_boxes(rng: np.random.Generator, image_id: int,
                     person_boxes: list[tuple[np.ndarray, float]], bystander_box: np.ndarray | None,
                     width: int, height: int) -> list[dict[str, Any]]:
    """Noisy detector output: jittered true boxes, rare misses and low-score false positives."""
    dets: list[tuple[np.ndarray, float]] = []
    for box, occluded_frac in person_boxes:
        if rng.random() < 0.02 + 0.5 * occluded_frac**2:
            continue  # missed detection
        size = box[2:] - box[:2]
        noisy = box + rng.normal(0, 0.04, 4) * np.concatenate([size, size])
        score = rng.normal(0.9, 0.04) - 0.4 * occluded_frac
        dets.append((noisy, float(np.clip(score, 0.06, 0.995))))
    if bystander_box is not None and rng.random() < 0.7:
        size = bystander_box[2:] - bystander_box[:2]
        noisy = bystander_box + rng.normal(0, 0.05, 4) * np.concatenate([size, size])
        dets.append((noisy, float(rng.uniform(0.2, 0.6))))
    for _ in range(int(rng.poisson(1.5))):
        box_w = rng.uniform(0.05, 0.3) * width
        box_h = box_w * rng.uniform(1.0, 2.5)
        x0, y0 = rng.uniform(0, width - box_w), rng.uniform(0, max(height - box_h, 1.0))
        dets.append((np.array([x0, y0, x0 + box_w, y0 + box_h]), float(rng.uniform(0.05, 0.3))))
    records = []
    for box, score in sorted(dets, key=lambda d: -d[1]):
        x0, y0 = np.clip(box[:2], 0, [width, height])
        x1, y1 = np.clip(box[2:], 0, [width, height])
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        records.append({
            'bbox': [round(float(x0), 3), round(float(y0), 3), round(float(x1 - x0), 3),
                     round(float(y1 - y0), 3)],
            'category_id': 1,
            'image_id': image_id,
            'score': round(score, 5),
        })
    return records


def _alpha_box(alpha: np.ndarray, shift: np.ndarray, width: int,
               height: int) -> np.ndarray | None:
    """Tight image-space box (x0, y0, x1, y1) of a layer's alpha, clipped to the image."""
    x, y, w, h = cv2.boundingRect((alpha > 0.25).astype(np.uint8))
    if w == 0 or h == 0:
        return None
    box = np.array([x, y, x + w, y + h], np.float64) + np.concatenate([shift, shift])
    box = np.clip(box, 0, [width, height, width, height])
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        return None
    return box


def _render_frame(plan: VideoPlan, rng: np.random.Generator, frame: int, width: int,
                  height: int, background: np.ndarray
                  ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray | None]:
    """Draws one frame of a video.

    Returns:
        tuple: The image (height, width, 3) uint8 BGR; each person's alpha, the occluders'
        alpha and the bystander's alpha (or None), all on the canvas (image + margins).
    """
    margin = plan.margin
    canvas_shape = (height + 2 * margin, width + 2 * margin)
    offset = (float(margin), float(margin))
    shake = plan.shake[frame]
    canvas = background.copy()
    bystander_alpha = None
    if plan.bystander is not None:
        color, bystander_alpha = render.render_layer(
            canvas_shape, plan.bystander.primitives(frame), offset)
        render.composite(canvas, color, bystander_alpha)

    alphas = []
    for person in plan.people:
        blur = _motion_blur(_velocity(person.kps, frame) * plan.exposure)
        color, alpha = render.render_layer(canvas_shape, person.primitives(frame), offset,
                                           blur)
        render.composite(canvas, color, alpha)
        alphas.append(alpha)
    occluder_alpha = np.zeros(canvas_shape, np.float32)
    for occluder in plan.occluders:
        blur = _motion_blur(_velocity(occluder.centres, frame) * plan.exposure)
        color, alpha = render.render_layer(canvas_shape, occluder.primitives(frame), offset,
                                           blur)
        render.composite(canvas, color, alpha)
        np.maximum(occluder_alpha, alpha, out=occluder_alpha)

    # Image = canvas shifted by the camera shake (sub-pixel, so labels move with it).
    warp = np.array([[1, 0, shake[0] - margin], [0, 1, shake[1] - margin]], np.float64)
    image = cv2.warpAffine(canvas, warp, (width, height), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
    if frame > 0:
        # A camera jerk smears the whole frame.
        kernel = _motion_blur((plan.shake[frame] - plan.shake[frame - 1]) * plan.exposure)
        if kernel is not None:
            image = cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)
    image += rng.normal(0, plan.noise_sigma, image.shape).astype(np.float32)
    image_u8 = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image_u8, alphas, occluder_alpha, bystander_alpha


def _ignore_regions(plan: VideoPlan, shake: np.ndarray, width: int,
                    height: int) -> tuple[list[list[int]], list[list[int]]]:
    """``ignore_regions_x`` / ``ignore_regions_y`` of a frame (image coordinates)."""
    ignore_x: list[list[int]] = []
    ignore_y: list[list[int]] = []
    if plan.ignore_polygon is not None:
        poly = np.rint(plan.ignore_polygon + shake).astype(int)
        poly = np.clip(poly, 0, [width - 1, height - 1])
        ignore_x.append([int(v) for v in poly[:, 0]])
        ignore_y.append([int(v) for v in poly[:, 1]])
    return ignore_x, ignore_y


def _ignore_mask(ignore_x: list[list[int]], ignore_y: list[list[int]], width: int,
                 height: int) -> np.ndarray:
    """The mask image (height, width, 3) uint8: ignore regions in white."""
    mask = np.zeros((height, width, 3), np.uint8)
    if ignore_x:
        cv2.fillPoly(mask, [np.stack([ignore_x[0], ignore_y[0]], 1).astype(np.int32)],
                     (255, 255, 255))
    return mask


def _frame_people(plan: VideoPlan, frame: int, image_id: int, labeled: bool,
                  alphas: list[np.ndarray], occluder_alpha: np.ndarray, width: int,
                  height: int) -> tuple[list[dict[str, Any]], list[tuple[list[float], float]],
                                        int]:
    """The people of one frame.

    Returns:
        tuple: The frame's annotations (labelled frames only, ordered by track id, ids
        ``image_id * 100 + index`` as in the real files); each visible person's
        ``(box, share of occluded joints)`` for the detections; occluded joints annotated.
    """
    margin = plan.margin
    shake = plan.shake[frame]
    person_boxes = []
    frame_annotations = []
    num_occluded = 0
    for depth, (person, alpha) in enumerate(zip(plan.people, alphas)):
        # Hidden = covered by an occluder or by a person drawn later (in front).
        in_front = [occluder_alpha] + alphas[depth + 1:]
        front = np.max(np.stack(in_front), axis=0) if len(in_front) > 1 else occluder_alpha
        kps_world = person.kps[frame]
        hidden = _sample_mask(front, kps_world + margin) > 0.5
        kps_img = kps_world + shake
        flat, occluded, num_visible = _keypoint_fields(kps_img, hidden, width, height)
        box = _alpha_box(alpha, shake - margin, width, height)
        if box is not None:
            person_boxes.append((box, sum(occluded) / max(num_visible, 1)))
        if not labeled or num_visible == 0:
            continue
        visible = np.array(flat[2::3], dtype=bool)
        frame_annotations.append((person.track_id, {
            'bbox_head': render.head_box(kps_img, person.body),
            'keypoints': flat,
            'track_id': person.track_id,
            'image_id': image_id,
            'bbox': _keypoint_bbox(kps_img, visible, person.body.head),
            'scores': [],
            'category_id': 1,
            'id': 0,  # set below, once the order is known
            'iscrowd': False,
            'num_keypoints': num_visible,
            'occluded': occluded,
        }))
        num_occluded += sum(occluded)
    # Real files list a frame's people by track id with ids image_id * 100 + index.
    annotations = []
    for index, (_, ann) in enumerate(sorted(frame_annotations, key=lambda a: a[0])):
        ann['id'] = image_id * 100 + index
        annotations.append(ann)
    return annotations, person_boxes, num_occluded


def _render_video(plan: VideoPlan, rng: np.random.Generator, cfg: GenerationConfig,
                  split: str) -> dict[str, Any]:
    """Renders and writes every frame of one video; returns its json records and stats."""
    width, height = cfg.width, cfg.height
    background = plan.background.astype(np.float32)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    detections: list[dict[str, Any]] = []
    num_occluded = 0

    for frame in range(plan.num_frames):
        image_id = frame_image_id(plan.vid_id, frame)
        shake = plan.shake[frame]
        image_u8, alphas, occluder_alpha, bystander_alpha = _render_frame(
            plan, rng, frame, width, height, background)
        rel_name = f'{split}/{plan.name}/{frame:06d}.jpg'
        atomic_write_bytes(_encode_jpg(image_u8, cfg.jpeg_quality),
                           cfg.out_dir / 'images' / rel_name, durable=False)
        ignore_x, ignore_y = _ignore_regions(plan, shake, width, height)
        if cfg.write_masks:
            atomic_write_bytes(_encode_jpg(_ignore_mask(ignore_x, ignore_y, width, height),
                                           cfg.jpeg_quality),
                               cfg.out_dir / 'mask' / rel_name, durable=False)

        labeled = bool(plan.labeled[frame])
        images.append({
            'has_no_densepose': True,
            'is_labeled': labeled,
            'file_name': f'images/{rel_name}',
            'nframes': plan.num_frames,
            'frame_id': image_id,
            'vid_id': plan.vid_id,
            'ignore_regions_y': ignore_y,
            'ignore_regions_x': ignore_x,
            'id': image_id,
            'width': width,
            'height': height,
            'mask_file': f'mask/{rel_name}',
        })
        frame_annotations, person_boxes, frame_occluded = _frame_people(
            plan, frame, image_id, labeled, alphas, occluder_alpha, width, height)
        annotations += frame_annotations
        num_occluded += frame_occluded
        bystander_box = (None if bystander_alpha is None else
                         _alpha_box(bystander_alpha, shake - plan.margin, width, height))
        detections += _detection_boxes(rng, image_id, person_boxes, bystander_box, width,
                                       height)

    video_json = {'categories': CATEGORIES, 'images': images, 'annotations': annotations}
    atomic_write_json(video_json, cfg.out_dir / 'annotations' / split / f'{plan.name}.json')
    return {'images': images, 'annotations': annotations, 'detections': detections,
            'num_occluded_keypoints': num_occluded}


# ----------------------------------------------------------------------------- public API


def generate_posetrack(out_dir: str | os.PathLike,
                       num_videos: Mapping[str, int] | None = None,
                       num_frames: int | Sequence[int] = DEFAULT_NUM_FRAMES,
                       image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                       label_stride: int | None = None,
                       labeled_ratio: float | None = None,
                       val_all_labeled: bool = True,
                       seed: int = 0,
                       people_per_video: Sequence[int] = (1, 3),
                       occluder_prob: float = 0.7,
                       jpeg_quality: int = 90,
                       write_masks: bool = True,
                       motion_speed: float = 1.0) -> dict[str, Any]:
    """Generates a synthetic video pose data set in the PoseTrack18 layout.

    The output is deterministic: the same arguments give byte-identical files. Every video draws
    from its own generator seeded by ``(seed, split, video index)``, so changing the number of
    videos does not change the videos that remain.

    Args:
        out_dir: Root folder (created if needed). Existing files with the same names are
            replaced; other files are left alone.
        num_videos: Videos per split, e.g. ``{'train': 6, 'val': 2}`` (the default). Only the
            splits listed are generated; allowed splits are ``'train'`` and ``'val'``.
        num_frames: Frames per video: an int, or a ``(min, max)`` pair drawn per video.
        image_size: ``(width, height)`` in pixels. People are 0.4-0.75x the height tall.
        label_stride: Label every k-th frame (0, k, 2k, ...) of train videos. Defaults to
            ``DEFAULT_LABEL_STRIDE`` when neither this nor ``labeled_ratio`` is given.
        labeled_ratio: Alternatively, the fraction of train frames (chosen at random) to label.
        val_all_labeled: Label every val frame; when False, val uses the train rule.
        seed: Non-negative random seed.
        people_per_video: ``(min, max)`` number of labeled people per video.
        occluder_prob: Probability that a video has occluders crossing people.
        jpeg_quality: JPEG quality of frames and masks.
        write_masks: Also write ``mask/<split>/<video>/<frame>.jpg`` (ignore regions in white).
        motion_speed: Time scale of people's and occluders' motion, in [0.25, 4]; 2 makes
            every motion twice as fast per frame (more motion blur, larger displacements
            between the frames of a window).

    Returns:
        A summary: ``{'out_dir', 'seed', 'image_size', 'elapsed_s', 'splits': {split: {
        'videos', 'num_images', 'num_labeled_images', 'num_annotations',
        'num_occluded_keypoints', 'num_detections', 'ann_file', 'det_file'}}}``.

    Raises:
        ValueError: On invalid arguments or an output folder that cannot be written.
    """
    start = time.perf_counter()
    cfg = _validate(out_dir, num_videos, num_frames, image_size, label_stride, labeled_ratio,
                    val_all_labeled, seed, people_per_video, occluder_prob, jpeg_quality,
                    write_masks, motion_speed)
    summary: dict[str, Any] = {'out_dir': str(cfg.out_dir), 'seed': cfg.seed,
                               'image_size': [cfg.width, cfg.height], 'splits': {}}
    for split, count in cfg.num_videos.items():
        all_images: list[dict[str, Any]] = []
        all_annotations: list[dict[str, Any]] = []
        all_detections: list[dict[str, Any]] = []
        names = []
        num_occluded = 0
        for index in range(count):
            rng = np.random.default_rng([cfg.seed, _SPLIT_SEED_CODE[split], index])
            plan = plan_video(rng, cfg, split, index)
            result = _render_video(plan, rng, cfg, split)
            names.append(plan.name)
            all_images += result['images']
            all_annotations += result['annotations']
            all_detections += result['detections']
            num_occluded += result['num_occluded_keypoints']
        ann_file = cfg.out_dir / 'annotations' / f'posetrack18_{split}.json'
        det_file = cfg.out_dir / 'annotations' / f'posetrack18_{split}_human_detections.json'
        atomic_write_json({'categories': CATEGORIES, 'images': all_images,
                           'annotations': all_annotations}, ann_file)
        atomic_write_json(all_detections, det_file)
        summary['splits'][split] = {
            'videos': names,
            'num_images': len(all_images),
            'num_labeled_images': sum(img['is_labeled'] for img in all_images),
            'num_annotations': len(all_annotations),
            'num_occluded_keypoints': num_occluded,
            'num_detections': len(all_detections),
            'ann_file': str(ann_file),
            'det_file': str(det_file),
        }
    summary['elapsed_s'] = round(time.perf_counter() - start, 3)
    return summary
