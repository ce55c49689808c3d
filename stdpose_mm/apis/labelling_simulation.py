"""Which frames to add to a uniform seed of labels: the labelling policies compared on the
hidden labels of fully labelled videos (interpolated pseudo-labels scored by PoseTrack AP)."""
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from .frame_selection import ErrorModel, FramePick, baseline_picks, labelling_plan

POLICIES = ('plan', 'uniform', 'random')


def picks_for_policy(policy: str, videos: dict, labeled: Dict[str, Sequence[int]],
                     budget: int, rng: Optional[np.random.Generator] = None,
                     **plan_kwargs) -> List[FramePick]:
    """The frames one policy adds: ``'plan'`` (:func:`labelling_plan`), ``'uniform'`` or
    ``'random'`` (:func:`baseline_picks`)."""
    if policy == 'plan':
        return labelling_plan(videos, labeled, budget, **plan_kwargs)
    return baseline_picks(videos, labeled, budget, policy, rng=rng)


def with_picks(labeled: Dict[str, Sequence[int]], picks: Iterable[FramePick]
               ) -> Dict[str, List[int]]:
    """The labelled frames after labelling the picks."""
    out = {vid_id: set(int(n) for n in frames) for vid_id, frames in labeled.items()}
    for pick in picks:
        out.setdefault(pick.vid_id, set()).add(pick.frame)
    return {vid_id: sorted(frames) for vid_id, frames in out.items()}


def pseudo_label_ap(ann_file: str, videos: dict, labeled: Dict[str, Sequence[int]],
                    subsets: Sequence[Optional[str]] = (None, 'occluded')) -> Dict[str, float]:
    """Total PoseTrack AP of the interpolated pseudo-labels against the hidden labels.

    Args:
        ann_file (str): The annotations with every frame labelled (the hidden labels).
        videos (dict): ``vid_id -> VideoIndex`` of ``ann_file``.
        labeled (dict): The labelled frames (the rest is propagated and scored).
        subsets (Sequence): ``None`` (all joints) and/or ``'occluded'``.

    Returns:
        dict: ``{'all': Total AP, 'occluded': Total AP}`` (percent) for the subsets asked.
    """
    from . import evaluate_pseudo_labels, plan_propagation, propagation_json, run_baseline

    # Every unlabelled frame is scored: one without a labelled neighbour misses its people.
    pseudo = propagation_json(run_baseline('interpolate', plan_propagation(videos, labeled)))
    return {subset or 'all': float(evaluate_pseudo_labels(ann_file, pseudo, subset)['Total'])
            for subset in subsets}


def simulate_labelling(ann_file: str, budgets: Sequence[int], seed_stride: int = 8,
                       random_seeds: Sequence[int] = (0, 1, 2, 3, 4),
                       policies: Sequence[str] = POLICIES, min_separation: int = 2,
                       error_model: Optional[ErrorModel] = None, num_keypoints: int = 17,
                       subsets: Sequence[Optional[str]] = (None, 'occluded'), log=None
                       ) -> dict:
    """Which frames to add to a uniform seed: the policies compared on hidden labels.

    Every ``seed_stride``-th frame is labelled; each policy adds ``budget`` frames; the
    other frames are interpolated and scored against the hidden labels
    (:func:`pseudo_label_ap`).

    Args:
        ann_file (str): Annotations with every frame labelled.
        budgets (Sequence[int]): Frames to add (each a separate run from the seed).
        seed_stride (int): The seed labels every k-th frame. Defaults to 8.
        random_seeds (Sequence[int]): Runs of the ``'random'`` policy.
        policies (Sequence[str]): Of :data:`POLICIES`.
        min_separation (int): Of the plan (:func:`labelling_plan`). Defaults to 2.
        error_model (ErrorModel, optional): Of the plan.
        num_keypoints (int): Joints per person. Defaults to 17.
        subsets (Sequence): Scored: ``None`` (all joints) and/or ``'occluded'``.
        log (callable, optional): Receives a line per run.

    Returns:
        dict: ``frames`` (listed frames), ``seed`` (labelled frames and AP of the seed
        alone) and ``runs``: ``{'policy', 'budget', 'labelled', 'seed', 'all',
        'occluded'}`` per run (``seed`` the random seed, None for the others; the APs
        of ``subsets``).
    """
    from ..datasets import load_video_annotations, select_labeled_frames

    videos = load_video_annotations(ann_file, num_keypoints)
    seed = select_labeled_frames(videos, label_stride=seed_stride)
    num_seed = sum(len(frames) for frames in seed.values())
    result = dict(frames=sum(len(video.frames) for video in videos.values()),
                  seed=dict(labelled=num_seed,
                            **pseudo_label_ap(ann_file, videos, seed, subsets)),
                  runs=[])
    for budget in budgets:
        for policy in policies:
            for random_seed in (random_seeds if policy == 'random' else [None]):
                rng = np.random.default_rng(random_seed) if policy == 'random' else None
                kwargs = dict(min_separation=min_separation, error_model=error_model) \
                    if policy == 'plan' else {}
                picks = picks_for_policy(policy, videos, seed, budget, rng=rng, **kwargs)
                labelled = with_picks(seed, picks)
                run = dict(policy=policy, budget=budget, labelled=num_seed + budget,
                           seed=random_seed,
                           **pseudo_label_ap(ann_file, videos, labelled, subsets))
                result['runs'].append(run)
                if log is not None:
                    log(f'{policy} +{budget}'
                        f'{"" if random_seed is None else f" (seed {random_seed})"}: ' +
                        ', '.join(f'{key} joints {run[key]:.1f} AP'
                                  for key in ('all', 'occluded') if key in run))
    return result
