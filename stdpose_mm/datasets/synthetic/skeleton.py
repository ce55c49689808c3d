"""Planar kinematic skeleton and motion models for synthetic people.

A person is a chain of rigid segments whose angles live in the image plane. Because every
segment keeps its length, limb lengths stay constant along a track (up to the fixed per-person
scale), which is what the generated labels promise. Angles use one convention everywhere:
``theta = 0`` points straight down (image +y), ``theta = pi / 2`` points to image right and
``theta = pi`` points up, i.e. the direction of ``theta`` is ``(sin(theta), cos(theta))``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KEYPOINT_NAMES: list[str] = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
# 1-based limb list exactly as in the PoseTrack18 ``categories`` entry.
SKELETON: list[list[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]
]

(NOSE, HEAD_BOTTOM, HEAD_TOP, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW,
 RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST, LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE,
 RIGHT_ANKLE) = range(NUM_KEYPOINTS)
# PoseTrack never annotates the ears; they are written as (0, 0, 0).
UNLABELED_KEYPOINTS: tuple[int, ...] = (LEFT_EAR, RIGHT_EAR)

# Columns of the per-frame joint-angle array (absolute image-plane angles).
(A_TORSO, A_HEAD, A_L_UPPER_ARM, A_L_FOREARM, A_R_UPPER_ARM, A_R_FOREARM, A_L_THIGH, A_L_SHIN,
 A_R_THIGH, A_R_SHIN) = range(10)
NUM_ANGLES = 10

ACTIONS: tuple[str, ...] = ('walk', 'wave', 'bend', 'jacks', 'idle')
_ACTION_WEIGHTS = {'walk': 0.35, 'wave': 0.2, 'bend': 0.15, 'jacks': 0.15, 'idle': 0.15}
# Walking and bending read best in profile, arm gestures facing the camera.
_PROFILE_ACTIONS = ('walk', 'bend')


@dataclass(frozen=True)
class BodyProportions:
    """Segment lengths of one person, in pixels.

    Args:
        height: Standing height (ankle to head top) in pixels.
        torso: Pelvis centre to shoulder centre ("neck").
        neck: Shoulder centre to ``head_bottom``.
        head: ``head_bottom`` to ``head_top``.
        upper_arm: Shoulder to elbow.
        forearm: Elbow to wrist.
        thigh: Hip to knee.
        shin: Knee to ankle.
        shoulder_half: Half the shoulder width seen frontally.
        hip_half: Half the hip width seen frontally.
    """

    height: float
    torso: float
    neck: float
    head: float
    upper_arm: float
    forearm: float
    thigh: float
    shin: float
    shoulder_half: float
    hip_half: float

    @classmethod
    def sample(cls, rng: np.random.Generator, height: float) -> BodyProportions:
        """Draws anthropometric ratios (about +-6% around an adult average).

        Args:
            rng: Random generator.
            height: Target standing height in pixels.

        Returns:
            The proportions scaled to ``height``.
        """
        ratios = {
            'torso': 0.30, 'neck': 0.045, 'head': 0.135, 'upper_arm': 0.165, 'forearm': 0.15,
            'thigh': 0.245, 'shin': 0.245, 'shoulder_half': 0.105, 'hip_half': 0.062
        }
        jittered = {k: v * rng.uniform(0.94, 1.06) for k, v in ratios.items()}
        # Rescale so head top to ankle really measures ``height``.
        vertical = (jittered['torso'] + jittered['neck'] + jittered['head'] + jittered['thigh'] +
                    jittered['shin'])
        scale = height / vertical
        return cls(height=height, **{k: v * scale for k, v in jittered.items()})


@dataclass
class Motion:
    """Per-frame joint angles and locomotion of one person.

    Args:
        angles: (T, 10) absolute joint angles, columns ``A_*``.
        speed: (T,) forward speed in pixels per frame (signed by the facing direction).
        hop: (T,) upward offset of the body in pixels (jumping).
    """

    angles: np.ndarray
    speed: np.ndarray
    hop: np.ndarray


def _unit(theta: np.ndarray) -> np.ndarray:
    """Direction vectors ``(sin, cos)`` for angles of any shape -> shape + (2,)."""
    return np.stack([np.sin(theta), np.cos(theta)], axis=-1)


def _standing(num_frames: int, facing: int) -> np.ndarray:
    """Neutral standing angles (arms hanging, legs slightly apart)."""
    angles = np.zeros((num_frames, NUM_ANGLES))
    angles[:, A_TORSO] = np.pi
    angles[:, A_HEAD] = np.pi
    angles[:, [A_L_UPPER_ARM, A_L_FOREARM]] = 0.1
    angles[:, [A_R_UPPER_ARM, A_R_FOREARM]] = -0.1
    angles[:, [A_L_THIGH, A_L_SHIN]] = 0.05
    angles[:, [A_R_THIGH, A_R_SHIN]] = -0.05
    return angles


def _action_motion(action: str, t: np.ndarray, rng: np.random.Generator, facing: int,
                   height: float) -> Motion:
    """Samples one action's parameters and evaluates it over frames ``t``.

    Args:
        action: One of ``ACTIONS``.
        t: (T,) frame indices as floats.
        rng: Random generator.
        facing: +1 when the person faces image right, -1 when facing left.
        height: Person height in pixels (locomotion speed scales with it).

    Returns:
        The action's motion.
    """
    num_frames = len(t)
    s = float(facing)
    angles = _standing(num_frames, facing)
    speed = np.full(num_frames, rng.uniform(-0.002, 0.002) * height)
    hop = np.zeros(num_frames)
    phase0 = rng.uniform(0, 2 * np.pi)
    if action == 'walk':
        speed = np.full(num_frames, s * rng.uniform(0.012, 0.026) * height)
        # One gait cycle covers about 0.75 body heights, so legs and translation agree.
        omega = 2 * np.pi * abs(speed[0]) / (0.75 * height)
        phase = phase0 + omega * t
        amp = rng.uniform(0.3, 0.45)
        knee_amp = rng.uniform(0.45, 0.8)
        arm_amp = rng.uniform(0.4, 0.8)
        for thigh, shin, upper, fore, sign in (
                (A_L_THIGH, A_L_SHIN, A_L_UPPER_ARM, A_L_FOREARM, 1.0),
                (A_R_THIGH, A_R_SHIN, A_R_UPPER_ARM, A_R_FOREARM, -1.0)):
            swing = sign * amp * np.sin(phase)
            # The knee bends while the leg swings forward (d swing / dt > 0).
            flex = 0.08 + knee_amp * np.clip(sign * np.cos(phase), 0, None)**1.5
            angles[:, thigh] = s * swing
            angles[:, shin] = s * (swing - flex)
            angles[:, upper] = -s * arm_amp * swing
            angles[:, fore] = angles[:, upper] + s * (0.25 + 0.2 * np.clip(-swing, 0, None))
        lean = rng.uniform(0.03, 0.12)
        angles[:, A_TORSO] = np.pi - s * lean
        angles[:, A_HEAD] = np.pi - s * (lean - 0.05) + 0.03 * np.sin(2 * phase)
    elif action == 'wave':
        omega = rng.uniform(0.3, 0.55)
        both = rng.random() < 0.3
        wave_left = rng.random() < 0.5
        for upper, fore, side in ((A_L_UPPER_ARM, A_L_FOREARM, 1.0),
                                  (A_R_UPPER_ARM, A_R_FOREARM, -1.0)):
            if both or wave_left == (side > 0):
                raise_angle = rng.uniform(0.35, 0.8)
                angles[:, upper] = side * (np.pi - raise_angle) + 0.08 * np.sin(omega * t + phase0)
                angles[:, fore] = side * (np.pi - 0.1) + 0.55 * np.sin(omega * t + phase0 + 0.6)
            else:
                angles[:, upper] = side * (0.1 + 0.04 * np.sin(0.2 * t + phase0))
                angles[:, fore] = angles[:, upper] + side * 0.1
        angles[:, A_HEAD] = np.pi + 0.1 * np.sin(0.15 * t + phase0)
    elif action == 'bend':
        omega = rng.uniform(0.08, 0.16)
        lean_max = rng.uniform(0.6, 1.2)
        frac = 0.5 - 0.5 * np.cos(omega * t + phase0)
        lean = lean_max * frac
        angles[:, A_TORSO] = np.pi - s * lean
        # The head stays a bit more upright than the torso (looking ahead).
        angles[:, A_HEAD] = np.pi - s * 0.7 * lean
        # Arms hang with gravity, slightly forward.
        angles[:, [A_L_UPPER_ARM, A_R_UPPER_ARM]] = (s * 0.25 * lean)[:, None]
        angles[:, [A_L_FOREARM, A_R_FOREARM]] = (s * 0.4 * lean)[:, None]
        angles[:, A_L_UPPER_ARM] += 0.05
        angles[:, A_R_UPPER_ARM] -= 0.05
        # Knees flex a little: thighs forward, shins back.
        angles[:, [A_L_THIGH, A_R_THIGH]] = (s * 0.35 * frac)[:, None]
        angles[:, [A_L_SHIN, A_R_SHIN]] = (-s * 0.15 * frac)[:, None]
        angles[:, [A_L_THIGH, A_L_SHIN]] += 0.04
        angles[:, [A_R_THIGH, A_R_SHIN]] -= 0.04
    elif action == 'jacks':
        omega = rng.uniform(0.18, 0.3)
        open_frac = 0.5 - 0.5 * np.cos(omega * t + phase0)
        arm = 0.15 + open_frac * rng.uniform(2.2, 2.7)
        leg = 0.05 + open_frac * rng.uniform(0.2, 0.35)
        angles[:, A_L_UPPER_ARM] = arm
        angles[:, A_L_FOREARM] = arm + 0.1 * open_frac
        angles[:, A_R_UPPER_ARM] = -arm
        angles[:, A_R_FOREARM] = -arm - 0.1 * open_frac
        angles[:, A_L_THIGH] = leg
        angles[:, A_L_SHIN] = leg - 0.05
        angles[:, A_R_THIGH] = -leg
        angles[:, A_R_SHIN] = -leg + 0.05
        hop = 0.04 * height * np.abs(np.sin(omega * t + phase0))
    elif action == 'idle':
        omega = rng.uniform(0.04, 0.1)
        sway = np.sin(omega * t + phase0)
        angles[:, A_TORSO] = np.pi + 0.04 * sway
        angles[:, A_HEAD] = np.pi + 0.12 * np.sin(1.7 * omega * t + phase0)
        angles[:, A_L_UPPER_ARM] = 0.12 + 0.08 * sway
        angles[:, A_L_FOREARM] = angles[:, A_L_UPPER_ARM] + rng.uniform(0.0, 0.5)
        angles[:, A_R_UPPER_ARM] = -0.12 + 0.08 * sway
        angles[:, A_R_FOREARM] = angles[:, A_R_UPPER_ARM] - rng.uniform(0.0, 0.5)
        angles[:, [A_L_THIGH, A_L_SHIN, A_R_THIGH, A_R_SHIN]] += (0.03 * sway)[:, None]
    else:
        raise ValueError(f'unknown action {action!r}; expected one of {ACTIONS}')
    return Motion(angles=angles, speed=speed, hop=hop)


def sample_motion(rng: np.random.Generator, num_frames: int, facing: int, height: float,
                  allowed: Sequence[str] = ACTIONS,
                  time_scale: float = 1.0) -> tuple[Motion, list[str]]:
    """Samples a person's motion: one action, or two with a smooth switch between them.

    Args:
        rng: Random generator.
        num_frames: Number of frames T.
        facing: +1 (faces image right) or -1 (faces image left).
        height: Person height in pixels.
        allowed: Actions to choose from (default: all, walking being the most common).
        time_scale: Action time per frame; 2 plays every action twice as fast.

    Returns:
        The blended motion and the list of action names used (in time order).
    """
    t = np.arange(num_frames, dtype=np.float64) * time_scale
    allowed = list(allowed)
    weights = np.array([_ACTION_WEIGHTS[a] for a in allowed])
    first = str(rng.choice(allowed, p=weights / weights.sum()))
    motion = _action_motion(first, t, rng, facing, height)
    actions = [first]
    if len(allowed) > 1 and rng.random() < 0.5:
        second = str(rng.choice([a for a in allowed if a != first]))
        other = _action_motion(second, t, rng, facing, height)
        switch = rng.uniform(0.3, 0.7) * num_frames * time_scale
        # A logistic blend over ~8 frames keeps joint trajectories smooth.
        weight = 1.0 / (1.0 + np.exp(-(t - switch) / 2.0))
        motion = Motion(
            angles=(1 - weight[:, None]) * motion.angles + weight[:, None] * other.angles,
            speed=(1 - weight) * motion.speed + weight * other.speed,
            hop=(1 - weight) * motion.hop + weight * other.hop)
        actions.append(second)
    # Speeds are per unit of action time: per frame they scale with the time scale.
    return Motion(angles=motion.angles, speed=motion.speed * time_scale, hop=motion.hop), actions


def sample_yaw(rng: np.random.Generator, first_action: str) -> float:
    """Body rotation away from the camera: 0 = frontal, 1 = full profile.

    Args:
        rng: Random generator.
        first_action: The person's first action (decides profile vs frontal).

    Returns:
        Yaw in [0, 0.85]; full profile is avoided so both shoulders stay apart.
    """
    if first_action in _PROFILE_ACTIONS:
        return float(rng.uniform(0.45, 0.85))
    return float(rng.uniform(0.0, 0.35))


def width_factor(yaw: float) -> float:
    """Projected fraction of the frontal shoulder/hip width for a given yaw."""
    return max(float(np.cos(yaw * np.pi / 2)), 0.3)


def pose_keypoints(angles: np.ndarray, body: BodyProportions, yaw: float,
                   facing: int) -> np.ndarray:
    """Forward kinematics: joint angles -> 17 keypoints relative to the pelvis centre.

    Args:
        angles: (T, 10) absolute joint angles.
        body: Segment lengths.
        yaw: Body yaw in [0, 1] (0 = facing the camera).
        facing: +1 / -1, the side the nose points to when turned.

    Returns:
        (T, 17, 2) float64 keypoints; the ears hold the head centre (they are never labeled).
    """
    num_frames = len(angles)
    kps = np.zeros((num_frames, NUM_KEYPOINTS, 2))
    wf = width_factor(yaw)
    torso_dir = _unit(angles[:, A_TORSO])
    # Image-plane "person's left" axis: torso direction rotated by 90 degrees; a frontal person's
    # left side is on image right, and turning sideways only shrinks it (by ``wf``).
    torso_lat = np.stack([-torso_dir[:, 1], torso_dir[:, 0]], axis=-1)
    neck = body.torso * torso_dir
    kps[:, LEFT_SHOULDER] = neck + torso_lat * body.shoulder_half * wf
    kps[:, RIGHT_SHOULDER] = neck - torso_lat * body.shoulder_half * wf
    kps[:, LEFT_HIP] = np.array([body.hip_half * wf, 0.0])
    kps[:, RIGHT_HIP] = np.array([-body.hip_half * wf, 0.0])

    head_dir = _unit(angles[:, A_HEAD])
    head_lat = np.stack([-head_dir[:, 1], head_dir[:, 0]], axis=-1)
    kps[:, HEAD_BOTTOM] = neck + body.neck * head_dir
    kps[:, HEAD_TOP] = kps[:, HEAD_BOTTOM] + body.head * head_dir
    head_centre = kps[:, HEAD_BOTTOM] + 0.5 * body.head * head_dir
    kps[:, [LEFT_EAR, RIGHT_EAR]] = head_centre[:, None]
    # The nose moves from the face centre towards the facing side as the body turns.
    nose_shift = facing * np.sin(yaw * np.pi / 2) * 0.85 * head_half_width(body)
    kps[:, NOSE] = kps[:, HEAD_BOTTOM] + 0.42 * body.head * head_dir + nose_shift * head_lat

    for shoulder, elbow, wrist, a_upper, a_fore in (
            (LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, A_L_UPPER_ARM, A_L_FOREARM),
            (RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST, A_R_UPPER_ARM, A_R_FOREARM)):
        kps[:, elbow] = kps[:, shoulder] + body.upper_arm * _unit(angles[:, a_upper])
        kps[:, wrist] = kps[:, elbow] + body.forearm * _unit(angles[:, a_fore])
    for hip, knee, ankle, a_thigh, a_shin in (
            (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, A_L_THIGH, A_L_SHIN),
            (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, A_R_THIGH, A_R_SHIN)):
        kps[:, knee] = kps[:, hip] + body.thigh * _unit(angles[:, a_thigh])
        kps[:, ankle] = kps[:, knee] + body.shin * _unit(angles[:, a_shin])
    return kps


def head_half_width(body: BodyProportions) -> float:
    """Half width of the drawn head ellipse (its half length is ``body.head / 2``)."""
    return 0.4 * body.head
