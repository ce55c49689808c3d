"""Retrain the estimator on each labelling policy's frames: the simulation's last step.

For one budget, each policy (:func:`picks_for_policy`) adds frames to a uniform seed of the
*training* videos; the labelled frames (a plan json, read by the dataset's
``labeled_frames``) and the interpolated pseudo-labels of the other frames (the
propagators' baseline, the json ``pseudo_label_file`` reads) are written, and the
single-frame estimator of ``configs/sparse/`` is trained on them through ``tools/train.py``
(:func:`stdpose_mm.apis.experiments.train`) with the same options for every policy. The
val AP is that of the last epoch's validation (no epoch picking) on the set's val videos.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

RETRAIN_CONFIG = 'configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_pseudo.py'


def write_policy_labels(train_ann: str, videos: dict, seed: Dict[str, Sequence[int]],
                        picks: Sequence, out_dir: str, settings: Optional[dict] = None
                        ) -> Dict[str, str]:
    """Write one policy's training labels: the labelled frames and the pseudo-labels.

    Args:
        train_ann (str): The training videos' annotations (every frame labelled: the
            labels of unlabelled frames are hidden from training, and score the
            pseudo-labels).
        videos (dict): ``vid_id -> VideoIndex`` of ``train_ann``.
        seed (dict): The frames labelled before the policy.
        picks (Sequence[FramePick]): The policy's frames.
        out_dir (str): Gets ``labelled.json`` (plan json) and ``pseudo.json``.
        settings (dict, optional): Stored in the plan json.

    Returns:
        dict: ``labelled_file``, ``pseudo_file`` and the pseudo-labels' AP against the
        hidden labels (``pseudo_all``, ``pseudo_occluded``, percent).
    """
    from ..utils import atomic_write_json
    from . import (
        evaluate_pseudo_labels,
        plan_json,
        plan_propagation,
        propagation_json,
        run_baseline,
        with_picks,
    )

    labelled = with_picks(seed, picks)
    pseudo = propagation_json(run_baseline('interpolate', plan_propagation(videos, labelled)))
    files = dict(labelled_file=osp.join(out_dir, 'labelled.json'),
                 pseudo_file=osp.join(out_dir, 'pseudo.json'))
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_json(plan_json(picks, videos, seed, settings), files['labelled_file'])
    atomic_write_json(pseudo, files['pseudo_file'])
    scores = {f'pseudo_{subset or "all"}':
              float(evaluate_pseudo_labels(train_ann, pseudo, subset)['Total'])
              for subset in (None, 'occluded')}
    return dict(files, **scores)


def retrain_options(data_root: str, labelled_file: str, pseudo_file: str, epochs: int,
                    seed: int, cfg_options: Sequence[str] = ()) -> List[str]:
    """``--cfg-options`` of one retraining run (the same for every policy but the files).

    One validation, after the last epoch; ``cfg_options`` come last (they may shrink the
    run, e.g. ``train_dataloader.dataset.indices=...``).
    """
    from .experiments import data_root_options, epoch_options

    return data_root_options(data_root) + epoch_options(epochs) + [
        'train_dataloader.dataset.label_stride=None',
        f'train_dataloader.dataset.labeled_frames={labelled_file}',
        f'train_dataloader.dataset.pseudo_label_file={pseudo_file}',
        f'randomness.seed={seed}'] + list(cfg_options)


def retrain_policies(data_root: str, budget: int, work_dir: str,
                     policies: Sequence[str] = ('uniform', 'plan'),
                     seeds: Sequence[int] = (0, ), epochs: int = 2, seed_stride: int = 8,
                     random_seed: int = 0, error_model=None, min_separation: int = 2,
                     config: str = RETRAIN_CONFIG, cfg_options: Sequence[str] = (),
                     num_keypoints: int = 17, skip_done: bool = False,
                     log: Optional[Callable[[str], None]] = None) -> dict:
    """Label the training videos by each policy, retrain the estimator, read its val AP.

    Args:
        data_root (str): A PoseTrack18-layout set whose ``posetrack18_train.json`` labels
            every frame (hidden but for the policy's) and ``posetrack18_val.json`` is
            validated on.
        budget (int): Frames each policy adds to the seed.
        work_dir (str): Per policy ``<policy>/`` (labels) and ``<policy>/seed<k>``
            (training runs).
        policies (Sequence[str]): Of :data:`POLICIES`.
        seeds (Sequence[int]): Training seeds (``randomness.seed``), per policy.
        epochs (int): Training epochs, the same for every policy. Defaults to 2.
        seed_stride (int): The seed labels every k-th frame. Defaults to 8.
        random_seed (int): Of the ``'random'`` policy's picks. Defaults to 0.
        error_model (ErrorModel, optional): Of the plan.
        min_separation (int): Of the plan. Defaults to 2.
        config (str): The estimator config. Defaults to :data:`RETRAIN_CONFIG`.
        cfg_options (Sequence[str]): More ``--cfg-options``, the same for every run.
        num_keypoints (int): Joints per person. Defaults to 17.
        skip_done (bool): Reuse ``<policy>/seed<k>/val_metrics.json`` when it exists.
        log (callable, optional): Receives a line per finished run.

    Returns:
        dict: ``labelled`` (seed + budget), ``budget``, ``epochs``, ``frames`` (training
        frames) and ``runs``: ``{'policy', 'seed', 'all', 'occluded', 'step',
        'pseudo_all', 'pseudo_occluded', 'train_minutes'}`` per run (``all`` /
        ``occluded``: the Total AP on all / occluded joints of the last validation, at
        epoch ``step``).
    """
    import time

    from ..datasets import load_video_annotations, select_labeled_frames
    from ..utils import atomic_write_json
    from .experiments import OCCLUDED_AP, TOTAL_AP, read_val_curve, train
    from .labelling_simulation import picks_for_policy

    train_ann = osp.join(data_root, 'annotations', 'posetrack18_train.json')
    videos = load_video_annotations(train_ann, num_keypoints)
    seed = select_labeled_frames(videos, label_stride=seed_stride)
    num_seed = sum(len(frames) for frames in seed.values())
    result = dict(labelled=num_seed + budget, budget=budget, epochs=epochs,
                  frames=sum(len(video.frames) for video in videos.values()), runs=[])
    for policy in policies:
        rng = np.random.default_rng(random_seed) if policy == 'random' else None
        kwargs = dict(min_separation=min_separation, error_model=error_model) \
            if policy == 'plan' else {}
        picks = picks_for_policy(policy, videos, seed, budget, rng=rng, **kwargs)
        labels = write_policy_labels(
            train_ann, videos, seed, picks, osp.join(work_dir, policy),
            dict(policy=policy, seed_stride=seed_stride, budget=budget))
        for train_seed in seeds:
            run_dir = osp.join(work_dir, policy, f'seed{train_seed}')
            metrics_file = osp.join(run_dir, 'val_metrics.json')
            if not (skip_done and osp.isfile(metrics_file)):
                start = time.time()
                train(config, run_dir, retrain_options(
                    data_root, labels['labelled_file'], labels['pseudo_file'], epochs,
                    train_seed, cfg_options))
                last = read_val_curve(run_dir)[-1]  # the last epoch's validation
                atomic_write_json(dict(all=float(last[TOTAL_AP]),
                                       occluded=float(last.get(OCCLUDED_AP, np.nan)),
                                       step=last['step'],
                                       train_minutes=(time.time() - start) / 60),
                                  metrics_file, indent=1)
            with open(metrics_file) as f:
                metrics = json.load(f)
            run = dict(policy=policy, seed=train_seed, pseudo_all=labels['pseudo_all'],
                       pseudo_occluded=labels['pseudo_occluded'], **metrics)
            result['runs'].append(run)
            if log is not None:
                log(f'{policy} +{budget}, training seed {train_seed}: val {run["all"]:.1f} '
                    f'AP / {run["occluded"]:.1f} AP occluded (pseudo-labels '
                    f'{run["pseudo_all"]:.1f} / {run["pseudo_occluded"]:.1f} AP, '
                    f'{run["train_minutes"]:.1f} min)')
    return result
