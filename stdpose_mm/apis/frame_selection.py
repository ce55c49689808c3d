"""Which frames to label next: a labelling plan from propagation uncertainty.

Labelling is the expensive part of training on sparsely-labelled videos. Given the frames
labelled so far, :func:`labelling_plan` ranks every unlabelled frame by the **expected gain**
of labelling it: how many joint labels across the frames it affects (itself and the frames
propagated from it) go from wrong to right, and picks ``budget`` frames greedily.

**Error model** (needs no trained model). Pseudo-labels are the linear interpolation of the
two labelled neighbours (a copy where one side lacks the person or joint), the propagators'
baseline and the bidirectional model's prior. Its error is estimated from *trajectory
witnesses*, each a guess of where a joint really is between labels:

- the **left/right extrapolation witness** (always): per track and joint, a cubic Hermite
  curve through the two labelled neighbours whose end slopes are the velocities seen from
  the outer labelled frames (``(x[a] - x[b_prev]) / (a - b_prev)``: propagating from the
  left and from the right with their own motion). On a straight, uniform motion it equals
  the interpolation (no gain); where the neighbours' motions disagree with the chord (a
  swing, a turn, an acceleration) it bends away, most in the middle of long gaps. A joint
  labelled on one side only (occluded or out of view on the other, a person entering or
  leaving) is carried from that side with the person's motion (the chord of its other
  joints), so copying it is wrong by the distance the person moved; past the last label of
  a video it is extrapolated with its last velocity (a copy is wrong by that motion);
- the **model witness** (``model_poses``, with a propagation checkpoint): the propagation
  model's poses; its disagreement with the interpolation is added.

A joint at frame ``s`` is off by ``e**2 = sum_w |witness_w(s) - interp(s)|**2 +
(drift * d(s))**2`` head sizes, where ``d`` is the distance to the nearest label it comes
from and ``drift`` the motion no witness sees (per frame). It is wrong with probability
``1 - exp(-ln2 (e / tau)**2)`` (one half at PoseTrack's PCK threshold ``tau`` = 0.5 head
sizes). Labelling frame ``t`` of a gap ``(b, a)`` makes ``t`` exact and re-interpolates
``(b, t)`` and ``(t, a)`` through the witness's pose at ``t``; the gain is the drop of the
summed probabilities (a number of joint labels, per frame summed over people). Occlusion
flags do not enter: interpolation carries a label the same whether the joint is occluded,
and the model witness sees where the images mislead it.

**Greedy with diversity**: the best frame is picked, the two new gaps re-scored, and so on;
no pick is closer than ``min_separation`` frames to a labelled or picked frame (2: never two
neighbouring frames). ``fairness='proportional'`` caps each video's picks at its share of
the unlabelled frames. A video without any labelled frame first gets a uniform seed (every
``seed_stride``-th frame, centred; nothing can be estimated without a label): label those
and plan again.

The plan json and the tool's entry point are in :mod:`.labelling_plan_io`; the
policies compared on hidden labels in :mod:`.labelling_simulation`.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

# Person box diagonal / head size (0.6 x the head box diagonal), median: 7.8 on the PoseTrack18
# sample (14 people), 12.3 on a synthetic set: gives the head size of a person without
# ``bbox_head`` (roughly: it only scales that person's errors).
BBOX_DIAGONAL_PER_HEAD = 10.0
_LN2 = math.log(2.0)


@dataclass
class ErrorModel:
    """Constants of the error model (tuned on the tuning set only: docs/labelling_plan.md).

    Args:
        pck_threshold (float): Head sizes at which a joint counts as wrong with probability
            1/2 (PoseTrack's PCK threshold). Defaults to 0.5.
        drift (float): Error no witness sees, in head sizes per frame of distance to the
            label. Defaults to 0.05.
    """

    pck_threshold: float = 0.5
    drift: float = 0.05


@dataclass
class FramePick:
    """One frame of a labelling plan.

    Args:
        vid_id (str): Video id.
        frame (int): Frame number.
        score (float, optional): Expected gain (joint labels made right); None for seed
            picks and the uniform / random policies.
        why (str): The reason, in words.
        rank (int): Order of the pick (1 = first).
    """

    vid_id: str
    frame: int
    score: Optional[float]
    why: str
    rank: int = 0


@dataclass
class _Video:
    """One video's trajectories as the planner sees them.

    ``witnesses``: per witness (T, F, K, 2) joint positions over the video's frames ``first
    .. first + F - 1`` (NaN where the witness has none); the labelled frames hold the labels
    in every witness. ``head`` (T,) head sizes in pixels.
    """

    vid_id: str
    first: int
    frames: List[int]  # listed frame numbers (candidates unless labelled)
    track_ids: List[int]
    witnesses: List[np.ndarray]
    head: np.ndarray
    labelled: List[int] = field(default_factory=list)
    cost_cache: Dict[Tuple, float] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return self.witnesses[0].shape[1] if self.witnesses else 0


def _labelled_poses(video, number: int) -> Dict[int, Tuple[np.ndarray, float]]:
    """``track_id -> (keypoints (K, 3), head size)`` of a labelled frame."""
    from ..datasets import group_by_track

    poses = {}
    for track_id, ann in group_by_track(video.frames[number].annotations).items():
        keypoints = np.asarray(ann['keypoints'], np.float64).reshape(-1, 3)
        if keypoints[:, 2].max() <= 0:
            continue
        if ann.get('bbox_head'):
            w, h = ann['bbox_head'][2:4]
            head = 0.6 * math.hypot(w, h)
        elif ann.get('bbox'):
            head = math.hypot(*ann['bbox'][2:4]) / BBOX_DIAGONAL_PER_HEAD
        else:
            visible = keypoints[keypoints[:, 2] > 0, :2]
            head = math.hypot(*np.ptp(visible, axis=0)) / BBOX_DIAGONAL_PER_HEAD
        poses[track_id] = (keypoints, max(head, 1.0))
    return poses


def _extrapolation_witness(positions: np.ndarray, labelled: Sequence[int]) -> np.ndarray:
    """The left/right extrapolation witness of one video (see the module docstring).

    Args:
        positions (np.ndarray): (T, F, K, 2) labels on the labelled frames, NaN elsewhere
            and where a joint is not labelled.
        labelled (Sequence[int]): Sorted labelled frame indices (0-based).

    Returns:
        np.ndarray: (T, F, K, 2) witness positions (NaN where no side labels the joint).
    """
    witness = positions.copy()
    num_frames = positions.shape[1]
    ends = [None, *labelled, None]
    for index in range(1, len(ends)):
        lo, hi = ends[index - 1], ends[index]
        if lo is None and hi is None:
            continue
        start = 0 if lo is None else lo + 1
        stop = num_frames if hi is None else hi
        if start >= stop:
            continue
        span = np.arange(start, stop, dtype=np.float64)
        outer_lo = ends[index - 2] if index >= 2 else None
        outer_hi = ends[index + 1] if index + 1 < len(ends) else None
        witness[:, start:stop] = _gap_witness(positions, lo, hi, outer_lo, outer_hi, span)
    return witness


def _velocity(positions: np.ndarray, frame_a: Optional[int], frame_b: Optional[int]
              ) -> np.ndarray:
    """(T, K, 2) velocity from ``frame_a`` to ``frame_b`` (NaN where either lacks it)."""
    shape = positions.shape[0:1] + positions.shape[2:]
    if frame_a is None or frame_b is None:
        return np.full(shape, np.nan)
    return (positions[:, frame_b] - positions[:, frame_a]) / (frame_b - frame_a)


def _gap_witness(positions, lo, hi, outer_lo, outer_hi, span) -> np.ndarray:
    """Witness positions (T, S, K, 2) on the frames ``span`` strictly inside (lo, hi)."""
    num_tracks, _, num_joints, _ = positions.shape
    out = np.full((num_tracks, span.size, num_joints, 2), np.nan)
    at_lo = positions[:, lo] if lo is not None else np.full((num_tracks, num_joints, 2), np.nan)
    at_hi = positions[:, hi] if hi is not None else np.full((num_tracks, num_joints, 2), np.nan)
    chord = _velocity(positions, lo, hi)  # (T, K, 2)
    # The person's motion (median chord of the joints labelled on both sides): what a
    # joint seen on one side only moves with.
    person = np.full((num_tracks, 1, 2), np.nan)
    seen = np.isfinite(chord[..., 0]).any(axis=1)  # tracks with a joint on both sides
    if seen.any():
        person[seen] = np.nanmedian(chord[seen], axis=1, keepdims=True)
    both = np.isfinite(at_lo[..., 0]) & np.isfinite(at_hi[..., 0])  # (T, K)
    if lo is not None and hi is not None:
        gap = hi - lo
        u = ((span - lo) / gap)[None, :, None, None]
        # Slopes at the ends: central differences through the outer labelled frames.
        slope_lo = _velocity(positions, outer_lo, hi)
        slope_hi = _velocity(positions, lo, outer_hi)
        m_lo = np.where(np.isfinite(slope_lo), slope_lo, chord)[:, None]
        m_hi = np.where(np.isfinite(slope_hi), slope_hi, chord)[:, None]
        lerp = (1 - u) * at_lo[:, None] + u * at_hi[:, None]
        bend = gap * u * (1 - u) * ((1 - u) * (m_lo - chord[:, None]) -
                                    u * (m_hi - chord[:, None]))
        out = np.where(both[:, None, :, None], lerp + bend, out)
    for side, at in ((lo, at_lo), (hi, at_hi)):
        if side is None:
            continue
        only = np.isfinite(at[..., 0]) & ~both  # (T, K) carried from this side only
        if not only.any():
            continue
        # The joint's own velocity into / out of its label, from the outer labelled frame.
        own = _velocity(positions, outer_lo, lo) if side == lo \
            else _velocity(positions, hi, outer_hi)
        if lo is not None and hi is not None:  # the other side lacks it: the person's motion
            own = np.where(np.isfinite(person), person, own)
        velocity = np.where(np.isfinite(own), own, 0.0)
        steps = (span - side)[None, :, None, None]
        carried = at[:, None] + velocity[:, None] * steps
        out = np.where(only[:, None, :, None], carried, out)
    return out


def _read_video(video, labelled: Sequence[int]) -> _Video:
    first, num_frames = video.first_frame, video.nframes
    poses = {number: _labelled_poses(video, number) for number in labelled}
    track_ids = sorted({track for frame in poses.values() for track in frame})
    num_joints = next((kpts.shape[0] for frame in poses.values()
                       for kpts, _ in frame.values()), 0)
    positions = np.full((len(track_ids), num_frames, num_joints, 2), np.nan)
    heads = {track: [] for track in track_ids}
    for number, frame in poses.items():
        for track, (keypoints, head) in frame.items():
            row = track_ids.index(track)
            visible = keypoints[:, 2] > 0
            positions[row, number - first, visible] = keypoints[visible, :2]
            heads[track].append(head)
    head = np.array([np.median(heads[track]) for track in track_ids], np.float64)
    index = sorted(number - first for number in labelled)
    witness = _extrapolation_witness(positions, index) if track_ids else positions
    return _Video(str(video.vid_id), first, sorted(video.frames), track_ids, [witness], head,
                  sorted(labelled))


def _interpolation(witness: np.ndarray, lo: Optional[int], hi: Optional[int],
                   span: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Pseudo-labels inside (lo, hi) from the witness's poses at the ends (its labels).

    Returns:
        tuple: positions (T, S, K, 2) (NaN where no end has the joint) and the distance
        (T, S, K) to the end each joint is carried from.
    """
    num_tracks, _, num_joints, _ = witness.shape
    nan = np.full((num_tracks, num_joints, 2), np.nan)
    at_lo = witness[:, lo] if lo is not None else nan
    at_hi = witness[:, hi] if hi is not None else nan
    has_lo, has_hi = np.isfinite(at_lo[..., 0]), np.isfinite(at_hi[..., 0])
    inf = np.full(span.shape, np.inf)
    d_lo = span - lo if lo is not None else inf
    d_hi = hi - span if hi is not None else inf
    if lo is not None and hi is not None:
        u = ((span - lo) / (hi - lo))[None, :, None, None]
        lerp = (1 - u) * at_lo[:, None] + u * at_hi[:, None]
    else:
        lerp = np.full((num_tracks, span.size, num_joints, 2), np.nan)
    both = (has_lo & has_hi)[:, None, :, None]
    values = np.where(both, lerp, np.where(has_lo[:, None, :, None], at_lo[:, None],
                                           at_hi[:, None]))
    distance = np.where((has_lo & has_hi)[:, None], np.minimum(d_lo, d_hi)[None, :, None],
                        np.where(has_lo[:, None], d_lo[None, :, None], d_hi[None, :, None]))
    return values, distance


def _gap_terms(video: _Video, lo: Optional[int], hi: Optional[int],
               model: ErrorModel) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Per frame inside (lo, hi): the probability of each joint being wrong (T, S, K), and
    each witness's squared deviation (head sizes**2, NaN-free) for the reasons."""
    start = 0 if lo is None else lo + 1
    stop = video.num_frames if hi is None else hi
    span = np.arange(start, stop, dtype=np.float64)
    squared = np.zeros((len(video.track_ids), span.size, video.witnesses[0].shape[2]))
    defined = np.zeros(squared.shape, bool)
    parts = []
    distance = None
    for witness in video.witnesses:
        values, distance = _interpolation(witness, lo, hi, span)
        deviation = np.linalg.norm(witness[:, start:stop] - values, axis=-1)
        deviation = deviation / video.head[:, None, None]
        ok = np.isfinite(deviation)
        part = np.where(ok, deviation, 0.0) ** 2
        parts.append(part)
        squared += part
        defined |= ok
    drift = model.drift * np.where(np.isfinite(distance), distance, 0.0)
    squared += drift ** 2
    probability = np.where(defined, 1 - np.exp(-_LN2 * squared / model.pck_threshold ** 2),
                           0.0)
    return probability, parts + [np.where(defined, drift ** 2, 0.0)]


def _gap_cost(video: _Video, lo: Optional[int], hi: Optional[int], model: ErrorModel
              ) -> float:
    key = (lo, hi)
    if key not in video.cost_cache:
        if not video.track_ids:
            video.cost_cache[key] = 0.0
        else:
            video.cost_cache[key] = float(_gap_terms(video, lo, hi, model)[0].sum())
    return video.cost_cache[key]


def _gap_gains(video: _Video, lo: Optional[int], hi: Optional[int], model: ErrorModel
               ) -> Dict[int, float]:
    """Expected gain of labelling each frame strictly inside (lo, hi) (0-based indices)."""
    start = 0 if lo is None else lo + 1
    stop = video.num_frames if hi is None else hi
    whole = _gap_cost(video, lo, hi, model)
    return {t: whole - _gap_cost(video, lo, t, model) - _gap_cost(video, t, hi, model)
            for t in range(start, stop)}


def _why(video: _Video, lo: Optional[int], hi: Optional[int], witness_names) -> str:
    """What makes a gap uncertain, in words: its length, the largest deviation of each
    witness from the interpolation, joints carried from one side only."""
    start = 0 if lo is None else lo + 1
    stop = video.num_frames if hi is None else hi
    span = np.arange(start, stop, dtype=np.float64)
    lo_text = 'start' if lo is None else str(lo + video.first)
    hi_text = 'end' if hi is None else str(hi + video.first)
    text = f'gap {lo_text}..{hi_text} ({stop - start} frames)'
    if lo is None or hi is None:
        text += ', carried from one side'
    for name, witness in zip(witness_names, video.witnesses):
        values, _ = _interpolation(witness, lo, hi, span)
        deviation = np.linalg.norm(witness[:, start:stop] - values, axis=-1)
        deviation = deviation / video.head[:, None, None]
        if np.isfinite(deviation).any():
            text += f'; {name} by up to {np.nanmax(deviation):.2f} head sizes'
    if lo is not None and hi is not None:
        at_lo = np.isfinite(video.witnesses[0][:, lo, :, 0])
        at_hi = np.isfinite(video.witnesses[0][:, hi, :, 0])
        one_sided = int((at_lo ^ at_hi).sum())
        if one_sided:
            text += f'; {one_sided} joint(s) labelled on one side only'
    return text


WITNESS_NAMES = ('left/right motion departs from the interpolation',
                 'the model departs from the interpolation')


def _seed_frames(frames: Sequence[int], count: int) -> List[int]:
    """``count`` listed frames evenly spread (centred: the ends are not wasted)."""
    if count <= 0 or not frames:
        return []
    positions = np.round((np.arange(count) + 0.5) * len(frames) / count - 0.5).astype(int)
    return sorted({frames[int(p)] for p in np.clip(positions, 0, len(frames) - 1)})


def _candidates(video: _Video, labelled: Iterable[int], min_separation: int) -> List[int]:
    """Listed unlabelled frames at least ``min_separation`` from every labelled frame."""
    taken = np.asarray(sorted(labelled), np.int64)
    out = []
    for number in video.frames:
        if taken.size and np.abs(taken - number).min() < max(min_separation, 1):
            continue
        out.append(number)
    return out


def _check_budget(videos, labeled, budget: int) -> int:
    unlabelled = sum(len(set(video.frames) - set(labeled.get(vid_id, ())))
                     for vid_id, video in videos.items())
    if budget < 0:
        raise ValueError(f'budget must be >= 0, got {budget}')
    if budget > unlabelled:
        raise ValueError(f'budget {budget} is larger than the {unlabelled} unlabelled frames '
                         'of these videos')
    return unlabelled


def labelling_plan(videos: dict, labeled: Dict[str, Sequence[int]], budget: int,
                   min_separation: int = 2, seed_stride: int = 8,
                   fairness: Optional[str] = None,
                   model_poses: Optional[Dict[Tuple[str, int, int], np.ndarray]] = None,
                   error_model: Optional[ErrorModel] = None) -> List[FramePick]:
    """Rank the unlabelled frames by expected gain and pick ``budget`` of them greedily.

    Args:
        videos (dict): ``vid_id -> VideoIndex`` (:func:`load_video_annotations`).
        labeled (dict): ``vid_id -> labelled frame numbers`` (:func:`select_labeled_frames`).
        budget (int): Frames to pick.
        min_separation (int): Minimum distance of a pick to any labelled or picked frame
            (2: no two neighbouring frames; 1: any frame). Defaults to 2.
        seed_stride (int): A video without labels gets every ``seed_stride``-th frame as
            its uniform seed first. Defaults to 8.
        fairness (str, optional): ``'proportional'``: no video gets more picks than its
            share of the unlabelled frames (rounded up). Default: none.
        model_poses (dict, optional): ``(vid_id, frame, track_id) -> (K, 2)`` poses of a
            propagation model on unlabelled frames (NaN for joints it does not carry):
            the model witness.
        error_model (ErrorModel, optional): Constants of the error model.

    Returns:
        list[FramePick]: ``budget`` picks in the order chosen.

    Raises:
        ValueError: ``budget`` is larger than the unlabelled frames, or than the frames
            that can be picked at ``min_separation``; an unknown ``fairness``.
    """
    model = error_model or ErrorModel()
    if fairness not in (None, 'none', 'proportional'):
        raise ValueError(f'fairness must be None or "proportional", got {fairness!r}')
    if min_separation < 1:
        raise ValueError(f'min_separation must be >= 1, got {min_separation}')
    unlabelled = _check_budget(videos, labeled, budget)
    picks: List[FramePick] = []
    state: Dict[str, _Video] = {}
    seeded = {}
    for vid_id in sorted(videos):
        labels = sorted(int(n) for n in labeled.get(vid_id, ()))
        video = _read_video(videos[vid_id], labels)
        if model_poses is not None and video.track_ids:
            video.witnesses.append(_model_witness(video, model_poses))
        if not labels:
            seeded[vid_id] = _seed_frames(video.frames,
                                          math.ceil(len(video.frames) / seed_stride))
        state[vid_id] = video
    seeds = [(vid_id, n) for vid_id, numbers in seeded.items() for n in numbers]
    if len(seeds) > budget:  # not enough for every seed: spread the budget evenly
        keep = set(np.round(np.linspace(0, len(seeds) - 1, budget)).astype(int).tolist()) \
            if budget else set()
        seeds = [seed for index, seed in enumerate(seeds) if index in keep]
    for vid_id, number in seeds:
        state[vid_id].labelled = sorted(state[vid_id].labelled + [number])
        picks.append(FramePick(vid_id, number, None,
                               'uniform seed: the video has no labelled frame', len(picks) + 1))
    caps = {}
    if fairness == 'proportional':
        for vid_id, video in state.items():
            share = len(set(video.frames) - set(labeled.get(vid_id, ()))) / max(unlabelled, 1)
            caps[vid_id] = math.ceil(budget * share)
    count = {vid_id: sum(p.vid_id == vid_id for p in picks) for vid_id in state}
    gains: Dict[str, Dict[Tuple, Dict[int, float]]] = {vid_id: {} for vid_id in state}
    order = {vid_id: index for index, vid_id in enumerate(sorted(state))}
    witness_names = WITNESS_NAMES[:1 + (model_poses is not None)]

    def video_best(vid_id):
        """The video's best allowed frame: ``((gain, order, -t), lo, hi, t)`` or None."""
        video = state[vid_id]
        allowed = set(_candidates(video, video.labelled, min_separation))
        index = [n - video.first for n in video.labelled]
        ends = [None, *index, None]
        found = None
        for lo, hi in zip(ends[:-1], ends[1:]):
            if lo is None and hi is None:
                continue
            gap_gains = gains[vid_id].get((lo, hi))
            if gap_gains is None:
                gap_gains = _gap_gains(video, lo, hi, model) if video.track_ids \
                    else _bisection_gains(video, lo, hi)  # no person labelled yet: bisect
                gains[vid_id][(lo, hi)] = gap_gains
            for t, gain in gap_gains.items():
                key = (gain, -order[vid_id], -t)
                if t + video.first in allowed and (found is None or key > found[0]):
                    found = (key, lo, hi, t)
        return found

    best_of = {}  # per video, recomputed only when the video gets a pick
    while len(picks) < budget:
        best = None
        for vid_id in state:
            if vid_id in caps and count[vid_id] >= caps[vid_id]:
                continue
            if vid_id not in best_of:
                best_of[vid_id] = video_best(vid_id)
            found = best_of[vid_id]
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], vid_id, *found[1:])
        if best is None:
            raise ValueError(
                f'only {len(picks)} of budget {budget} frames can be picked with no two '
                f'picks closer than min_separation={min_separation} frames (to each other '
                'and to the labelled frames); lower the budget or min_separation')
        (gain, _, _), vid_id, lo, hi, t = best
        video = state[vid_id]
        why = _why(video, lo, hi, witness_names) if video.track_ids \
            else 'no person labelled yet: the middle of the longest gap'
        picks.append(FramePick(vid_id, t + video.first,
                               round(float(gain), 4) if video.track_ids else None, why,
                               len(picks) + 1))
        video.labelled = sorted(video.labelled + [t + video.first])
        gains[vid_id].pop((lo, hi), None)
        best_of.pop(vid_id)
        count[vid_id] += 1
    return picks


def _bisection_gains(video: _Video, lo: Optional[int], hi: Optional[int]) -> Dict[int, float]:
    """Tiny gains that pick the middle of the longest gap: a video whose labels show no
    person yet (nothing to estimate from) only gets frames no other video wants."""
    start = 0 if lo is None else lo + 1
    stop = video.num_frames if hi is None else hi
    middle = (start + stop - 1) / 2
    return {t: 1e-6 * (stop - start) - 1e-9 * abs(t - middle) for t in range(start, stop)}


def _model_witness(video: _Video, model_poses) -> np.ndarray:
    """The model witness: the labels, and the model's poses on the unlabelled frames."""
    witness = video.witnesses[0].copy()
    labelled = {n - video.first for n in video.labelled}
    for frame_index in range(video.num_frames):
        if frame_index in labelled:
            continue
        witness[:, frame_index] = np.nan
        for row, track in enumerate(video.track_ids):
            pose = model_poses.get((video.vid_id, frame_index + video.first, track))
            if pose is not None:
                witness[row, frame_index] = np.asarray(pose, np.float64)[:, :2]
    return witness


def baseline_picks(videos: dict, labeled: Dict[str, Sequence[int]], budget: int,
                   policy: str, min_separation: int = 1, rng: Optional[np.random.Generator]
                   = None) -> List[FramePick]:
    """The frames the baselines label: ``'uniform'`` (the middle of the longest gap, which
    keeps the labelled frames at a uniform stride) or ``'random'`` (any unlabelled frame).

    Args:
        videos (dict): ``vid_id -> VideoIndex``.
        labeled (dict): ``vid_id -> labelled frame numbers``.
        budget (int): Frames to pick.
        policy (str): ``'uniform'`` or ``'random'``.
        min_separation (int): As :func:`labelling_plan` (``'uniform'`` only). Defaults to 1.
        rng (np.random.Generator, optional): For ``'random'``.

    Returns:
        list[FramePick]: The picks (``score`` None).
    """
    _check_budget(videos, labeled, budget)
    if policy == 'random':
        rng = rng or np.random.default_rng(0)
        pool = [(vid_id, n) for vid_id in sorted(videos) for n in sorted(videos[vid_id].frames)
                if n not in set(labeled.get(vid_id, ()))]
        chosen = rng.choice(len(pool), size=budget, replace=False) if budget else []
        return [FramePick(*pool[int(i)], None, 'random', rank + 1)
                for rank, i in enumerate(chosen)]
    if policy != 'uniform':
        raise ValueError(f'policy must be "uniform" or "random", got {policy!r}')
    picks = []
    taken = {vid_id: sorted(int(n) for n in labeled.get(vid_id, ())) for vid_id in videos}
    order = sorted(videos)
    added = {vid_id: 0 for vid_id in order}
    while len(picks) < budget:
        best = None
        for vid_id in order:
            listed = sorted(videos[vid_id].frames)
            for length, target in _uniform_gaps(listed, taken[vid_id]):
                allowed = [n for n in listed if n not in taken[vid_id] and (
                    not taken[vid_id] or min(abs(n - m) for m in taken[vid_id]) >=
                    min_separation)]
                if not allowed:
                    continue
                frame = min(allowed, key=lambda n: (abs(n - target), n))
                # Equal gaps: the video with the fewest picks first (spread over videos).
                key = (length, -added[vid_id], -order.index(vid_id), -frame)
                if best is None or key > best[0]:
                    best = (key, vid_id, frame)
        if best is None:
            raise ValueError(f'only {len(picks)} of budget {budget} frames can be picked '
                             f'at min_separation={min_separation}')
        _, vid_id, frame = best
        taken[vid_id] = sorted(taken[vid_id] + [frame])
        added[vid_id] += 1
        picks.append(FramePick(vid_id, frame, None, 'middle of the longest gap',
                               len(picks) + 1))
    return picks


def _uniform_gaps(listed: Sequence[int], labels: Sequence[int]) -> List[Tuple[float, float]]:
    """``(length, target frame)`` of each gap: between two labels the middle; at a video end
    (one label) the gap counts twice (a stride puts the end label half a stride in) and the
    target is a third in from the end; a video without labels is one gap."""
    first, last = listed[0], listed[-1]
    if not labels:
        return [(float(last - first + 1), (first + last) / 2)]
    gaps = [(float(hi - lo), (lo + hi) / 2) for lo, hi in zip(labels[:-1], labels[1:])]
    if labels[0] > first:
        gaps.append((2.0 * (labels[0] - first), labels[0] - 2 * (labels[0] - first) / 3))
    if labels[-1] < last:
        gaps.append((2.0 * (last - labels[-1]), labels[-1] + 2 * (last - labels[-1]) / 3))
    return gaps
