"""Pose propagation: pseudo-labels for the unlabelled frames of sparsely-labelled videos.

STDPose labels a fraction of the frames (26.7% in the paper), propagates those poses to the
other frames and retrains the estimator on labels + pseudo-labels. This module holds the
two baselines, the pseudo-label json and its evaluation; the planning is in
:mod:`.propagation_plan`, the model propagators in :mod:`.model_propagators`, the
resumable writer in :mod:`.pseudo_label_writer` and the whole run from a config in
:mod:`.propagate_config`.
Propagators, compared on the same frames:

- ``'copy'``: the nearest labelled pose of the same track, as it is;
- ``'interpolate'``: linear interpolation between the labelled poses of the same track on
  the two neighbouring labelled frames (a copy where only one side has the track/joint);
- ``'model'``: a trained :class:`~stdpose_mm.models.BidirectionalPropagationEstimator`
  (both neighbours at once, correcting the interpolation) or the one-sided
  :class:`~stdpose_mm.models.PosePropagationEstimator` (run from each side, fused per
  joint with weights ``score / distance``).

**Scores** mean the same for every propagator (:func:`carry_confidence`): the joint's
heatmap peak on the scale where a label has 1; a label carried ``d`` frames without image
evidence scores ``2 ** (-d / 4)``. Copy and interpolation give exactly that (d: frames to
the label the joint came from), the untrained bidirectional model too, and a trained one
moves it with the image evidence; the one-sided model's scores are its heatmap maxima.

The output is a PoseTrack json (``images`` + ``annotations`` with ``track_id``, ``keypoints``,
per-joint ``scores`` and ``bbox``) that ``PoseTrackVideoDataset(pseudo_label_file=...)`` reads.
A joint is marked visible only if a labelled source pose had it: propagation carries labels,
it does not invent joints that were never annotated.
"""
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..datasets.propagation_samples import carry_confidence, interpolate_pose
from .propagation_plan import (  # noqa: F401  (re-exported: planning was part of this module)
    LabeledPose,
    PropagatedPose,
    PropagationTarget,
    plan_propagation,
)

PROPAGATION_METHODS = ('copy', 'interpolate', 'model')


def _shifted_bbox(source: LabeledPose, keypoints: np.ndarray, visible: np.ndarray
                  ) -> np.ndarray:
    """The source box moved by the median displacement of the source's labelled joints."""
    moved = visible & (source.keypoints[:, 2] > 0)
    if not moved.any():
        return source.bbox.copy()
    shift = np.median(keypoints[moved] - source.keypoints[moved, :2], axis=0)
    return np.concatenate([source.bbox[:2] + shift, source.bbox[2:]]).astype(np.float32)


def as_side(pose: Optional[LabeledPose]):
    """A :class:`LabeledPose` as ``(frame, keypoints, bbox)`` of ``propagation_samples``."""
    return None if pose is None else (pose.frame_number, pose.keypoints, pose.bbox)


def copy_nearest(target: PropagationTarget) -> List[PropagatedPose]:
    """Each track's nearest labelled pose (ties: the earlier frame), scored
    :func:`carry_confidence` of the distance."""
    results = []
    for track_id, sources in sorted(target.sources.items()):
        source = min(sources, key=lambda s: (abs(s.frame_number - target.frame_number),
                                             s.frame_number))
        pose = interpolate_pose(target.frame_number, as_side(source), None)
        results.append(_carried(track_id, pose))
    return results


def interpolate_linear(target: PropagationTarget) -> List[PropagatedPose]:
    """Linear interpolation between the labelled poses on both sides (copy where one side
    lacks the track or the joint), each joint scored :func:`carry_confidence` of the
    distance to the nearer label it came from."""
    return [_carried(track_id, interpolate_pose(target.frame_number,
                                                *map(as_side, target.sides(track_id))))
            for track_id in sorted(target.sources)]


def _carried(track_id: int, pose: dict) -> PropagatedPose:
    scores = pose['visible'] * carry_confidence(pose['distance'])
    return PropagatedPose(track_id, pose['keypoints'], scores.astype(np.float32),
                          pose['visible'], pose['bbox'])


def fuse_sides(target: PropagationTarget, track_id: int,
               predictions: Sequence[Tuple[LabeledPose, np.ndarray, np.ndarray]]
               ) -> PropagatedPose:
    """Fuse one track's model predictions from each side, per joint.

    Args:
        target (PropagationTarget): The target frame.
        track_id (int): The track.
        predictions: ``(source, keypoints (K, 2), scores (K,))`` per side.

    Returns:
        PropagatedPose: Keypoints and scores averaged with weights ``score / distance``.
    """
    weights = np.stack([scores / max(abs(source.frame_number - target.frame_number), 1)
                        for source, _, scores in predictions]) + 1e-12  # (S, K)
    keypoints = np.stack([kpts for _, kpts, _ in predictions])  # (S, K, 2)
    scores = np.stack([s for _, _, s in predictions])
    total = weights.sum(axis=0)
    fused_keypoints = (weights[..., None] * keypoints).sum(axis=0) / total[:, None]
    fused_scores = (weights * scores).sum(axis=0) / total
    visible = np.any([source.keypoints[:, 2] > 0 for source, _, _ in predictions], axis=0)
    nearest = min(predictions, key=lambda p: abs(p[0].frame_number - target.frame_number))
    bbox = _shifted_bbox(nearest[0], fused_keypoints, visible)
    return PropagatedPose(track_id, fused_keypoints.astype(np.float32),
                          fused_scores.astype(np.float32), visible, bbox)


def propagation_json(results: Iterable[Tuple[PropagationTarget, List[PropagatedPose]]],
                     categories: Optional[List[dict]] = None) -> dict:
    """PoseTrack json of the pseudo-labels (the layout ``PoseTrackVideoDataset`` reads).

    Args:
        results: ``(target, poses)`` pairs.
        categories (list[dict], optional): The ``categories`` entry to write.

    Returns:
        dict: ``{'categories', 'images', 'annotations'}``; every target frame is listed in
        ``images``, people in ``annotations`` with ``track_id``, ``keypoints`` (K*3, the
        third value 1 for joints carried from a labelled source), ``scores`` (K), ``bbox``
        and ``is_pseudo_label: true``.
    """
    images, annotations = [], []
    for target, poses in results:
        images.append(target.image)
        image_id = target.image.get('id', target.image.get('frame_id'))
        for pose in poses:
            keypoints = np.concatenate(
                [pose.keypoints, pose.visible[:, None].astype(np.float32)], axis=1)
            annotations.append(dict(
                id=len(annotations),
                image_id=image_id,
                track_id=int(pose.track_id),
                category_id=1,
                keypoints=[round(float(v), 2) for v in keypoints.reshape(-1)],
                scores=[round(float(v), 4) for v in pose.scores],
                bbox=[round(float(v), 2) for v in pose.bbox],
                num_keypoints=int(pose.visible.sum()),
                is_pseudo_label=True))
    return dict(categories=categories or [], images=images, annotations=annotations)


def run_baseline(method: str, targets: Sequence[PropagationTarget]
                 ) -> Iterator[Tuple[PropagationTarget, List[PropagatedPose]]]:
    """Yield ``(target, poses)`` for the ``'copy'`` or ``'interpolate'`` propagator."""
    propagate = {'copy': copy_nearest, 'interpolate': interpolate_linear}[method]
    for target in targets:
        yield target, propagate(target)


def evaluate_pseudo_labels(gt_file: str, pseudo: dict, subset: Optional[str] = None,
                           image_ids: Optional[Iterable] = None) -> Dict[str, float]:
    """PoseTrack AP of pseudo-labels on the frames they cover, against hidden labels.

    Only frames listed in ``pseudo['images']`` that carry GT people are evaluated, so the
    labelled frames (which are not propagated) do not count.

    Args:
        gt_file (str): The full annotation json (or folder) with every frame's labels.
        pseudo (dict): Output of :func:`propagation_json`.
        subset (str, optional): ``'occluded'`` for the AP on occluded GT joints.
        image_ids (Iterable, optional): Evaluate only these images (e.g. the frames at
            one distance from the nearest label).

    Returns:
        dict: AP table (percent) as :func:`evaluate_posetrack`.
    """
    from ..evaluation.functional import (
        POSETRACK18_CATEGORY,
        evaluate_frames,
        load_ground_truth,
        load_predictions,
    )

    videos = load_ground_truth(gt_file, subset)
    covered = {image.get('id') for image in pseudo['images']}
    if image_ids is not None:
        covered &= set(image_ids)
    by_video = {}
    for name, video in videos.items():
        ids = set(video.image_ids)
        by_video[name] = dict(
            categories=pseudo.get('categories') or [POSETRACK18_CATEGORY],
            images=[],
            annotations=[ann for ann in pseudo['annotations'] if ann['image_id'] in ids])
    load_predictions(by_video, videos)
    frames = [frame for video in videos.values() for frame in video.frames
              if frame.image_id in covered]
    if not frames:
        raise ValueError(f'{gt_file}: none of the pseudo-labelled frames asked for has '
                         'ground truth')
    return evaluate_frames(frames, use_subset=subset is not None)
