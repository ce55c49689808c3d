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

import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import render
from . import skeleton as sk

SPLITS: tuple[str, ...] = ('train', 'val')
# Video numbers per split start here, so names never collide across splits and do not depend
# on how many videos the other split has.
_SPLIT_VIDEO_BASE = {'train': 0, 'val': 100000}
_SPLIT_SEED_CODE = {'train': 0, 'val': 1}
_MAX_VIDEOS_PER_SPLIT = 99999
_MAX_FRAMES = 9999  # the frame number has 4 digits in PoseTrack image ids
_MIN_SIZE = 64
# Objects moving less than this many pixels during the exposure are drawn sharp.
_MIN_BLUR_PX = 2.5

DEFAULT_NUM_VIDEOS: dict[str, int] = {'train': 6, 'val': 2}
DEFAULT_NUM_FRAMES: tuple[int, int] = (30, 40)
DEFAULT_IMAGE_SIZE: tuple[int, int] = (384, 288)
DEFAULT_LABEL_STRIDE = 2

CATEGORIES: list[dict[str, Any]] = [{
    'supercategory': 'person',
    'id': 1,
    'name': 'person',
    'keypoints': list(sk.KEYPOINT_NAMES),
    'skeleton': [list(pair) for pair in sk.SKELETON],
}]


@dataclass(frozen=True)
class _Config:
    """Validated generation settings shared by all videos."""

    out_dir: Path
    num_videos: dict[str, int]
    frames_range: tuple[int, int]
    width: int
    height: int
    label_stride: int | None
    labeled_ratio: float | None
    val_all_labeled: bool
    seed: int
    people_range: tuple[int, int]
    occluder_prob: float
    jpeg_quality: int
    write_masks: bool
    motion_speed: float = 1.0


@dataclass
class _Person:
    """A planned person: geometry for every frame of the video (world coordinates)."""

    track_id: int
    body: sk.BodyProportions
    style: render.PersonStyle
    yaw: float
    facing: int
    ground: float
    kps: np.ndarray  # (T, 17, 2)
    actions: list[str]

    def primitives(self, frame: int) -> list[render.Primitive]:
        return render.person_primitives(self.kps[frame], self.body, self.style, self.yaw,
                                        self.facing)


@dataclass
class _VideoPlan:
    """Everything random about one video, drawn before any frame is rendered."""

    name: str
    vid_id: str
    num_frames: int
    margin: int
    background: np.ndarray
    people: list[_Person]  # drawing order: far to near
    bystander: _Person | None  # unlabeled distant person inside the ignore region
    ignore_polygon: np.ndarray | None  # world coordinates
    occluders: list[render.Occluder]
    shake: np.ndarray  # (T, 2) camera translation added to image coordinates
    exposure: float
    noise_sigma: float
    labeled: np.ndarray  # (T,) bool


# ----------------------------------------------------------------------------- validation


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f'{name} must be an integer, got {value!r}')
    return int(value)


def _validate(out_dir: str | os.PathLike, num_videos: Mapping[str, int] | None,
              num_frames: int | Sequence[int], image_size: Sequence[int],
              label_stride: int | None, labeled_ratio: float | None, val_all_labeled: bool,
              seed: int, people_per_video: Sequence[int], occluder_prob: float,
              jpeg_quality: int, write_masks: bool, motion_speed: float = 1.0) -> _Config:
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
    return _Config(out_dir=out_path, num_videos=videos, frames_range=frames_range, width=width,
                   height=height, label_stride=label_stride, labeled_ratio=labeled_ratio,
                   val_all_labeled=bool(val_all_labeled), seed=seed, people_range=people_range,
                   occluder_prob=occluder_prob, jpeg_quality=jpeg_quality,
                   write_masks=bool(write_masks), motion_speed=motion_speed)


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


def _file_mode() -> int:
    """Permissions of a normally created file (mkstemp would leave 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    """Writes to a temp file in the same folder, then renames: readers never see half files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        if hasattr(os, 'fchmod'):
            os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


_FILE_MODE = _file_mode()


def _write_json_atomic(path: Path, obj: Any) -> None:
    _write_bytes_atomic(path, json.dumps(obj).encode('utf-8'))


def _encode_jpg(image: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return buffer.tobytes()


# ----------------------------------------------------------------------------- planning


def _frame_image_id(vid_id: str, frame: int) -> int:
    """PoseTrack image id: '1' + 6-digit video number + 4-digit frame (10034180000)."""
    return int(f'1{vid_id}{frame:04d}')


def _labeled_frames(rng: np.random.Generator, num_frames: int, cfg: _Config,
                    split: str) -> np.ndarray:
    if split == 'val' and cfg.val_all_labeled:
        return np.ones(num_frames, bool)
    labeled = np.zeros(num_frames, bool)
    if cfg.labeled_ratio is not None:
        count = max(1, int(round(cfg.labeled_ratio * num_frames)))
        labeled[rng.choice(num_frames, size=count, replace=False)] = True
    else:
        labeled[::cfg.label_stride] = True
    return labeled


def _plan_person(rng: np.random.Generator, track_id: int, num_frames: int, width: int,
                 height: int, horizon: float, slot: tuple[float, float],
                 height_range: tuple[float, float] | None = None,
                 actions: Sequence[str] = sk.ACTIONS, motion_speed: float = 1.0) -> _Person:
    """Samples a body, an outfit and a motion, and places the person in the world.

    Args:
        rng: Random generator.
        track_id: Track id written to the annotations.
        num_frames: Number of frames T.
        width: Image width.
        height: Image height.
        horizon: Horizon line (pixels); with an eye-level camera every head is near it, so a
            person's height grows with how low their feet are (perspective).
        slot: Horizontal range (fractions of the width) for the trajectory's middle.
        height_range: Optional fixed range for the person's height in pixels.
        actions: Actions to choose from.
        motion_speed: Time scale of the motion: 2 plays the same actions twice as fast
            (joints and translation move twice as far per frame).

    Returns:
        The person with keypoints for every frame.
    """
    if height_range is None:
        ground = rng.uniform(horizon + 0.42 * height, min(horizon + 0.72 * height, height))
        person_height = (ground - horizon) * rng.uniform(0.92, 1.08)
    else:
        person_height = rng.uniform(*height_range)
        ground = horizon + person_height * rng.uniform(0.95, 1.05)
    body = sk.BodyProportions.sample(rng, person_height)
    facing = 1 if rng.random() < 0.5 else -1
    motion, used = sk.sample_motion(rng, num_frames, facing, person_height, actions,
                                    time_scale=motion_speed)
    yaw = sk.sample_yaw(rng, used[0])
    rel = sk.pose_keypoints(motion.angles, body, yaw, facing)
    # Feet stay on the ground line: the lowest ankle touches it (the rest is the hop).
    pelvis_y = ground - rel[:, [sk.LEFT_ANKLE, sk.RIGHT_ANKLE], 1].max(axis=1) - motion.hop
    pelvis_x = np.concatenate([[0.0], np.cumsum(motion.speed[1:])])
    pelvis_x += rng.uniform(*slot) * width - (pelvis_x.min() + pelvis_x.max()) / 2
    kps = rel + np.stack([pelvis_x, pelvis_y], axis=1)[:, None]
    return _Person(track_id=track_id, body=body, style=render.PersonStyle.sample(rng), yaw=yaw,
                   facing=facing, ground=float(ground), kps=kps, actions=used)


def _plan_bystander(rng: np.random.Generator, num_frames: int, width: int, height: int,
                    horizon: float, people: list[_Person]
                    ) -> tuple[_Person, np.ndarray] | tuple[None, None]:
    """A small unlabeled person with an ignore region around it, away from labeled joints.

    This mirrors real PoseTrack, where ignore regions cover people that were not annotated.
    """
    labeled_pts = np.concatenate([p.kps.reshape(-1, 2) for p in people])
    for _ in range(8):
        person = _plan_person(rng, -1, num_frames, width, height, horizon, (0.05, 0.95),
                              height_range=(0.14 * height, 0.22 * height),
                              actions=('idle', 'wave'))
        pts = person.kps.reshape(-1, 2)
        pad = 0.15 * person.body.height
        x0, y0 = pts.min(axis=0) - pad
        x1, y1 = pts.max(axis=0) + pad
        inside = ((labeled_pts[:, 0] > x0 - pad) & (labeled_pts[:, 0] < x1 + pad) &
                  (labeled_pts[:, 1] > y0 - pad) & (labeled_pts[:, 1] < y1 + pad))
        if inside.any() or x0 < 0 or x1 > width or y0 < 0:
            continue
        cut = 0.3 * min(x1 - x0, y1 - y0)  # an octagon, like a hand-drawn polygon
        polygon = np.array([[x0 + cut, y0], [x1 - cut, y0], [x1, y0 + cut], [x1, y1 - cut],
                            [x1 - cut, y1], [x0 + cut, y1], [x0, y1 - cut], [x0, y0 + cut]])
        return person, polygon
    return None, None


def _plan_occluders(rng: np.random.Generator, num_frames: int, width: int, height: int,
                    people: list[_Person], occluder_prob: float,
                    motion_speed: float = 1.0) -> list[render.Occluder]:
    """Objects whose paths cross a person's position at some frame of the video."""
    occluders: list[render.Occluder] = []
    if rng.random() >= occluder_prob:
        return occluders
    t = np.arange(num_frames, dtype=np.float64)[:, None]
    px_scale = width / DEFAULT_IMAGE_SIZE[0]
    for _ in range(int(rng.integers(1, 3))):
        target = people[int(rng.integers(len(people)))]
        t_cross = int(rng.integers(int(0.2 * num_frames), max(int(0.8 * num_frames), 1) + 1))
        t_cross = min(t_cross, num_frames - 1)
        joint = int(rng.choice([sk.LEFT_SHOULDER, sk.RIGHT_HIP, sk.LEFT_KNEE, sk.RIGHT_ELBOW,
                                sk.HEAD_BOTTOM]))
        point = target.kps[t_cross, joint] + rng.normal(0, 0.05 * target.body.height, 2)
        velocity = motion_speed * np.array([
            rng.choice([-1, 1]) * rng.uniform(2.5, 7.0) * px_scale,
            rng.uniform(-1.0, 1.0) * px_scale])
        size_w = rng.uniform(0.15, 0.4) * target.body.height
        size_h = rng.uniform(0.2, 0.55) * target.body.height
        make_shape = render.rect_shape if rng.random() < 0.5 else render.blob_shape
        occluders.append(render.Occluder(
            shape=make_shape(rng, size_w, size_h), centres=point + (t - t_cross) * velocity,
            color=tuple(float(c) for c in rng.uniform(20, 235, 3)),
            stripe_color=tuple(float(c) for c in rng.uniform(20, 235, 3)),
            pattern='ring' if rng.random() < 0.4 else 'stripes'))
    walkers = [p for p in people if np.ptp(p.kps[:, sk.LEFT_HIP, 0]) > 0.15 * width]
    if walkers and rng.random() < 0.4:
        # A static pillar that a walking person passes behind mid-video.
        target = walkers[int(rng.integers(len(walkers)))]
        frame = int(rng.integers(int(0.3 * num_frames), int(0.7 * num_frames) + 1))
        x = float(target.kps[min(frame, num_frames - 1), sk.LEFT_HIP, 0])
        half_w = rng.uniform(0.015, 0.035) * width
        shape = np.array([[-half_w, -0.7 * height], [half_w, -0.7 * height],
                          [half_w, 0.7 * height], [-half_w, 0.7 * height]])
        occluders.append(render.Occluder(
            shape=shape, centres=np.tile([x, height / 2], (num_frames, 1)),
            color=tuple(float(c) for c in rng.uniform(20, 235, 3)),
            stripe_color=tuple(float(c) for c in rng.uniform(20, 235, 3)), pattern='stripes'))
    return occluders


def _plan_shake(rng: np.random.Generator, num_frames: int, width: int,
                max_shift: float) -> np.ndarray:
    """Camera shake: a slow wobble plus occasional jerks that decay over a few frames."""
    t = np.arange(num_frames, dtype=np.float64)
    px_scale = width / DEFAULT_IMAGE_SIZE[0]
    amp = rng.uniform(0.0, 2.5) * px_scale
    shake = amp * np.stack([np.sin(rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi)),
                            np.sin(rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))], 1)
    jerk_prob = float(rng.choice([0.0, 0.04, 0.1]))
    for start in range(1, num_frames):
        if rng.random() < jerk_prob:
            angle = rng.uniform(0, 2 * np.pi)
            impulse = rng.uniform(4.0, 9.0) * px_scale * np.array([np.cos(angle), np.sin(angle)])
            decay = 0.55**np.arange(num_frames - start)
            shake[start:] += decay[:, None] * impulse
    return np.clip(shake, -max_shift, max_shift)


def _plan_video(rng: np.random.Generator, cfg: _Config, split: str, index: int) -> _VideoPlan:
    vid_number = _SPLIT_VIDEO_BASE[split] + index + 1
    vid_id = f'{vid_number:06d}'
    num_frames = int(rng.integers(cfg.frames_range[0], cfg.frames_range[1] + 1))
    width, height = cfg.width, cfg.height
    # The canvas is larger than the image so camera shake never reveals an empty border.
    margin = int(np.ceil(0.06 * max(width, height))) + 4
    horizon = rng.uniform(0.2, 0.32) * height
    background = render.make_background(rng, width + 2 * margin, height + 2 * margin,
                                        horizon + margin)

    num_people = int(rng.integers(cfg.people_range[0], cfg.people_range[1] + 1))
    slots = [(0.12 + 0.76 * i / num_people, 0.12 + 0.76 * (i + 1) / num_people)
             for i in range(num_people)]
    order = rng.permutation(num_people)
    people = [
        _plan_person(rng, track_id, num_frames, width, height, horizon, slots[order[track_id]],
                     motion_speed=cfg.motion_speed)
        for track_id in range(num_people)
    ]
    # Painter's order: feet higher in the image = farther away = drawn first.
    people.sort(key=lambda p: (p.ground, p.track_id))

    bystander, polygon = None, None
    if rng.random() < 0.35:
        bystander, polygon = _plan_bystander(rng, num_frames, width, height, horizon, people)
    occluders = _plan_occluders(rng, num_frames, width, height, people, cfg.occluder_prob,
                                cfg.motion_speed)
    shake = _plan_shake(rng, num_frames, width, margin - 2)
    return _VideoPlan(name=f'{vid_id}_synthetic', vid_id=vid_id, num_frames=num_frames,
                      margin=margin, background=background, people=people, bystander=bystander,
                      ignore_polygon=polygon, occluders=occluders, shake=shake,
                      exposure=float(rng.uniform(0.25, 0.8)),
                      noise_sigma=float(rng.uniform(1.0, 3.0)),
                      labeled=_labeled_frames(rng, num_frames, cfg, split))


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


def _render_video(plan: _VideoPlan, rng: np.random.Generator, cfg: _Config,
                  split: str) -> dict[str, Any]:
    """Renders and writes every frame of one video; returns its json records and stats."""
    width, height, margin = cfg.width, cfg.height, plan.margin
    canvas_shape = (height + 2 * margin, width + 2 * margin)
    offset = (float(margin), float(margin))
    background = plan.background.astype(np.float32)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    detections: list[dict[str, Any]] = []
    num_occluded = 0

    for frame in range(plan.num_frames):
        image_id = _frame_image_id(plan.vid_id, frame)
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
        rel_name = f'{split}/{plan.name}/{frame:06d}.jpg'
        _write_bytes_atomic(cfg.out_dir / 'images' / rel_name,
                            _encode_jpg(image_u8, cfg.jpeg_quality))

        ignore_x: list[list[int]] = []
        ignore_y: list[list[int]] = []
        if plan.ignore_polygon is not None:
            poly = np.rint(plan.ignore_polygon + shake).astype(int)
            poly = np.clip(poly, 0, [width - 1, height - 1])
            ignore_x.append([int(v) for v in poly[:, 0]])
            ignore_y.append([int(v) for v in poly[:, 1]])
        if cfg.write_masks:
            mask = np.zeros((height, width, 3), np.uint8)
            if plan.ignore_polygon is not None:
                cv2.fillPoly(mask, [np.stack([ignore_x[0], ignore_y[0]], 1).astype(np.int32)],
                             (255, 255, 255))
            _write_bytes_atomic(cfg.out_dir / 'mask' / rel_name,
                                _encode_jpg(mask, cfg.jpeg_quality))

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

        person_boxes = []
        frame_annotations = []
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
        for index, (_, ann) in enumerate(sorted(frame_annotations, key=lambda a: a[0])):
            ann['id'] = image_id * 100 + index
            annotations.append(ann)

        bystander_box = (None if bystander_alpha is None else
                         _alpha_box(bystander_alpha, shake - margin, width, height))
        detections += _detection_boxes(rng, image_id, person_boxes, bystander_box, width,
                                       height)

    video_json = {'categories': CATEGORIES, 'images': images, 'annotations': annotations}
    _write_json_atomic(cfg.out_dir / 'annotations' / split / f'{plan.name}.json', video_json)
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
            plan = _plan_video(rng, cfg, split, index)
            result = _render_video(plan, rng, cfg, split)
            names.append(plan.name)
            all_images += result['images']
            all_annotations += result['annotations']
            all_detections += result['detections']
            num_occluded += result['num_occluded_keypoints']
        ann_file = cfg.out_dir / 'annotations' / f'posetrack18_{split}.json'
        det_file = cfg.out_dir / 'annotations' / f'posetrack18_{split}_human_detections.json'
        _write_json_atomic(ann_file, {'categories': CATEGORIES, 'images': all_images,
                                      'annotations': all_annotations})
        _write_json_atomic(det_file, all_detections)
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
