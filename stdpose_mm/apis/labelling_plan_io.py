"""The labelling plan as a file: the plan json (written and read back) and
:func:`suggest_frames`, what ``tools/suggest_frames.py`` runs.

**The plan json** is what ``PoseTrackVideoDataset(labeled_frames=...)`` and
:func:`select_labeled_frames` read, ``{vid_id: [frame numbers]}`` (the frames labelled
before and the picks), plus one entry under :data:`PLAN_KEY` (the reader looks up video
ids only, so it never sees it):
``{'version', 'budget', 'labelled_before', 'picks': [{'rank', 'vid_id', 'frame',
'file_name', 'score', 'why'}], 'settings'}`` (``score``: expected gain in joint labels,
None for seed picks).
"""
import json
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .frame_selection import WITNESS_NAMES, ErrorModel, FramePick, labelling_plan

PLAN_KEY = '_labelling_plan'
PLAN_VERSION = 1


def plan_json(picks: Sequence[FramePick], videos: dict, labeled: Dict[str, Sequence[int]],
              settings: Optional[dict] = None) -> dict:
    """The plan as the json the dataset's ``labeled_frames`` option reads.

    Args:
        picks (Sequence[FramePick]): From :func:`labelling_plan`.
        videos (dict): ``vid_id -> VideoIndex`` (for the frames' file names).
        labeled (dict): The frames labelled before the plan.
        settings (dict, optional): What produced the plan (stored under the plan key).

    Returns:
        dict: ``{vid_id: sorted frames labelled before + picked, PLAN_KEY: {...}}``.
    """
    if PLAN_KEY in videos:
        raise ValueError(f'a video is called {PLAN_KEY!r}, the key the plan uses')
    content = {vid_id: sorted({int(n) for n in labeled.get(vid_id, ())} |
                              {p.frame for p in picks if p.vid_id == vid_id})
               for vid_id in sorted(videos)}
    entries = []
    for pick in picks:
        entry = asdict(pick)
        entry['file_name'] = videos[pick.vid_id].file_name(pick.frame)
        entries.append(entry)
    content[PLAN_KEY] = dict(version=PLAN_VERSION, budget=len(picks),
                             labelled_before=sum(len(v) for v in labeled.values()),
                             picks=entries, settings=settings or {})
    return content


def read_plan(path: str) -> Dict[str, List[int]]:
    """The ``{vid_id: [frame numbers]}`` of a plan json (or of any labelled-frames json).

    Raises:
        ValueError: The file is not such a json; the message names the file and the field.
    """
    from ..datasets import load_json

    content = load_json(path)
    if not isinstance(content, dict):
        raise ValueError(f'{path}: expected a json object {{vid_id: [frame numbers]}}')
    out = {}
    for vid_id, frames in content.items():
        if vid_id == PLAN_KEY:
            continue
        if not isinstance(frames, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) for n in frames):
            raise ValueError(f'{path}: field {vid_id!r} must be a list of frame numbers')
        out[vid_id] = frames
    return out


def format_plan_table(picks: Sequence[FramePick], limit: int = 20) -> str:
    """A short text table of the first ``limit`` picks."""
    lines = [f'{"rank":>4}  {"video":<14} {"frame":>6}  {"gain":>7}  why']
    for pick in picks[:limit]:
        score = '-' if pick.score is None else f'{pick.score:.2f}'
        lines.append(f'{pick.rank:>4}  {pick.vid_id:<14} {pick.frame:>6}  {score:>7}  '
                     f'{pick.why}')
    if len(picks) > limit:
        lines.append(f'... {len(picks) - limit} more in the plan json')
    return '\n'.join(lines)


def model_poses_from_config(config, checkpoint: str, ann_file: str,
                            labeled: Dict[str, Sequence[int]], data_root: Optional[str] = None,
                            device: str = 'cpu', batch_size: int = 32, num_workers: int = 2
                            ) -> Dict[Tuple[str, int, int], np.ndarray]:
    """The model witness: a propagation model's poses on every unlabelled frame.

    Args:
        config (str | Config): Propagation model config (bidirectional or one-sided).
        checkpoint (str): Its checkpoint.
        ann_file (str): The videos' annotations.
        labeled (dict): ``vid_id -> labelled frame numbers``.
        data_root (str, optional): Root of the frames (default: the config's).
        device (str): Model device. Defaults to ``'cpu'``.
        batch_size (int): Windows per forward pass. Defaults to 32.
        num_workers (int): Data loading workers. Defaults to 2.

    Returns:
        dict: ``(vid_id, frame, track_id) -> (K, 2)`` (NaN for joints no label carries).
    """
    from . import build_model_propagator, resolve_setup

    setup = resolve_setup(config, ann_file, data_root,
                          label_rule=dict(labeled_frames={k: list(v) for k, v in
                                                          labeled.items()}))
    propagator = build_model_propagator(setup, checkpoint, device, batch_size, num_workers)
    poses = {}
    for target, results in propagator(setup.videos, setup.targets):
        for pose in results:
            keypoints = np.where(pose.visible[:, None], pose.keypoints, np.nan)
            poses[(target.vid_id, target.frame_number, pose.track_id)] = keypoints
    return poses


def suggest_frames(ann_file: str, budget: int, out_file: Optional[str] = None,
                   config=None, checkpoint: Optional[str] = None,
                   label_rule: Optional[dict] = None, data_root: Optional[str] = None,
                   min_separation: int = 2, seed_stride: int = 8,
                   fairness: Optional[str] = None, device: str = 'cpu',
                   num_keypoints: int = 17, error_model: Optional[ErrorModel] = None
                   ) -> Tuple[List[FramePick], dict]:
    """What ``tools/suggest_frames.py`` runs: read the videos, plan, write the plan json.

    Args:
        ann_file (str): The videos' annotations (json or folder of per-video jsons).
        budget (int): Frames to label next.
        out_file (str, optional): Where to write the plan json (atomically).
        config (str | Config, optional): A propagation model config; with ``checkpoint``
            the model witness is added. Without both, the ranking is model-free.
        checkpoint (str, optional): The model's checkpoint.
        label_rule (dict, optional): ``label_stride`` / ``labeled_ratio`` /
            ``labeled_frames`` (dict or json) of :func:`select_labeled_frames`; default:
            every frame with annotations is labelled.
        data_root (str, optional): Root of the frames for the model (default: the config's).
        min_separation, seed_stride, fairness, error_model: See :func:`labelling_plan`.
        device (str): Model device. Defaults to ``'cpu'``.
        num_keypoints (int): Joints per person. Defaults to 17.

    Returns:
        tuple: The picks and the plan json's content.

    Raises:
        FileNotFoundError: ``ann_file`` does not exist.
        ValueError: Malformed annotations (file and field named), a budget too large, or
            ``config`` without ``checkpoint`` (or the reverse).
    """
    from ..datasets import load_video_annotations, select_labeled_frames
    from ..utils import atomic_write_bytes

    if (config is None) != (checkpoint is None):
        raise ValueError('give both CONFIG and CHECKPOINT of a propagation model, or neither '
                         '(model-free ranking)')
    rule = {key: value for key, value in (label_rule or {}).items() if value is not None}
    if isinstance(rule.get('labeled_frames'), str):
        rule['labeled_frames'] = read_plan(rule['labeled_frames'])
    videos = load_video_annotations(ann_file, num_keypoints)
    labeled = select_labeled_frames(videos, **rule)
    model_poses = None
    if checkpoint is not None:
        model_poses = model_poses_from_config(config, checkpoint, ann_file, labeled,
                                              data_root, device)
    picks = labelling_plan(videos, labeled, budget, min_separation=min_separation,
                           seed_stride=seed_stride, fairness=fairness,
                           model_poses=model_poses, error_model=error_model)
    settings = dict(ann_file=ann_file, label_rule={k: v for k, v in rule.items()
                                                    if k != 'labeled_frames'},
                    witnesses=list(WITNESS_NAMES[:1 + (model_poses is not None)]),
                    checkpoint=checkpoint, min_separation=min_separation,
                    seed_stride=seed_stride, fairness=fairness,
                    error_model=asdict(error_model or ErrorModel()))
    content = plan_json(picks, videos, labeled, settings)
    if out_file is not None:
        atomic_write_bytes((json.dumps(content, indent=1) + '\n').encode(), out_file)
    return picks, content
