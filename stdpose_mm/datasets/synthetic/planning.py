"""Planning of the synthetic videos: everything random about a video, before rendering.

:func:`plan_video` draws, from its own generator, the people (skeleton, style, motion), a
bystander in an ignore region, occluders, camera shake, exposure, noise and the labelled
frames; :mod:`.generator` then renders and writes the frames. Numpy only.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import render
from . import skeleton as sk

# Video numbers per split start here, so names never collide across splits and do not depend
# on how many videos the other split has.
SPLIT_VIDEO_BASE = {'train': 0, 'val': 100000}
# Frame size the motion and size ranges are tuned for; other sizes scale them.
DEFAULT_IMAGE_SIZE: tuple[int, int] = (384, 288)


@dataclass(frozen=True)
class GenerationConfig:
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
class PlannedPerson:
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
class VideoPlan:
    """Everything random about one video, drawn before any frame is rendered."""

    name: str
    vid_id: str
    num_frames: int
    margin: int
    background: np.ndarray
    people: list[PlannedPerson]  # drawing order: far to near
    bystander: PlannedPerson | None  # unlabeled distant person inside the ignore region
    ignore_polygon: np.ndarray | None  # world coordinates
    occluders: list[render.Occluder]
    shake: np.ndarray  # (T, 2) camera translation added to image coordinates
    exposure: float
    noise_sigma: float
    labeled: np.ndarray  # (T,) bool




def frame_image_id(vid_id: str, frame: int) -> int:
    """PoseTrack image id: '1' + 6-digit video number + 4-digit frame (10034180000)."""
    return int(f'1{vid_id}{frame:04d}')


def _labeled_frames(rng: np.random.Generator, num_frames: int, cfg: GenerationConfig,
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
                 actions: Sequence[str] = sk.ACTIONS, motion_speed: float = 1.0) -> PlannedPerson:
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
    return PlannedPerson(track_id=track_id, body=body, style=render.PersonStyle.sample(rng),
                         yaw=yaw, facing=facing, ground=float(ground), kps=kps, actions=used)


def _plan_bystander(rng: np.random.Generator, num_frames: int, width: int, height: int,
                    horizon: float, people: list[PlannedPerson]
                    ) -> tuple[PlannedPerson, np.ndarray] | tuple[None, None]:
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
                    people: list[PlannedPerson], occluder_prob: float,
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


def plan_video(rng: np.random.Generator, cfg: GenerationConfig, split: str,
               index: int) -> VideoPlan:
    """Everything random about video ``index`` of ``split``, drawn from ``rng``."""
    vid_number = SPLIT_VIDEO_BASE[split] + index + 1
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
    return VideoPlan(name=f'{vid_id}_synthetic', vid_id=vid_id, num_frames=num_frames,
                      margin=margin, background=background, people=people, bystander=bystander,
                      ignore_polygon=polygon, occluders=occluders, shake=shake,
                      exposure=float(rng.uniform(0.25, 0.8)),
                      noise_sigma=float(rng.uniform(1.0, 3.0)),
                      labeled=_labeled_frames(rng, num_frames, cfg, split))
