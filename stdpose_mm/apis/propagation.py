"""Pose propagation: pseudo-labels for the unlabelled frames of sparsely-labelled videos.

STDPose labels a fraction of the frames (26.7% in the paper), propagates those poses to the
other frames and retrains the estimator on labels + pseudo-labels. This module does the
middle step for three propagators, so that they can be compared on the same frames:

- ``'copy'``: the nearest labelled pose of the same track, as it is;
- ``'interpolate'``: linear interpolation between the labelled poses of the same track on
  the two neighbouring labelled frames (a copy where only one side has the track/joint);
- ``'model'``: a trained :class:`~stdpose_mm.models.PosePropagationEstimator`, run from
  each side and fused per joint (weights ``score / distance``).

The output is a PoseTrack json (``images`` + ``annotations`` with ``track_id``, ``keypoints``,
per-joint ``scores`` and ``bbox``) that ``PoseTrackVideoDataset(pseudo_label_file=...)`` reads.
A joint is marked visible only if a labelled source pose had it: propagation carries labels,
it does not invent joints that were never annotated.
"""
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..datasets.posetrack_annotations import VideoIndex, group_by_track

PROPAGATION_METHODS = ('copy', 'interpolate', 'model')


@dataclass
class LabeledPose:
    """A labelled person on a source frame.

    Args:
        frame_number (int): The source frame.
        keypoints (np.ndarray): (K, 3) x, y, visibility.
        bbox (np.ndarray): (4,) x, y, w, h.
    """

    frame_number: int
    keypoints: np.ndarray
    bbox: np.ndarray


@dataclass
class PropagationTarget:
    """An unlabelled frame and the labelled poses around it.

    Args:
        vid_id (str): Video id.
        frame_number (int): The unlabelled (target) frame.
        image (dict): The frame's ``images`` entry in the annotation file.
        sources (dict): ``track_id -> [LabeledPose]`` from the previous and/or next
            labelled frame (at most one per side).
    """

    vid_id: str
    frame_number: int
    image: dict
    sources: Dict[int, List[LabeledPose]] = field(default_factory=dict)


@dataclass
class PropagatedPose:
    """One track's propagated pose on a target frame.

    Args:
        track_id (int): The track, as on the source frame(s).
        keypoints (np.ndarray): (K, 2) image coordinates.
        scores (np.ndarray): (K,) per-joint confidence.
        visible (np.ndarray): (K,) bool, the joint was labelled on a source frame.
        bbox (np.ndarray): (4,) x, y, w, h.
    """

    track_id: int
    keypoints: np.ndarray
    scores: np.ndarray
    visible: np.ndarray
    bbox: np.ndarray


def _labeled_poses(video: VideoIndex, number: int) -> Dict[int, LabeledPose]:
    poses = {}
    for track_id, ann in group_by_track(video.frames[number].annotations).items():
        keypoints = np.asarray(ann['keypoints'], np.float32).reshape(-1, 3)
        if 'bbox' not in ann or keypoints[:, 2].max() <= 0:
            continue
        poses[track_id] = LabeledPose(number, keypoints, np.asarray(ann['bbox'][:4], np.float32))
    return poses


def plan_propagation(videos: Dict[str, VideoIndex], labeled: Dict[str, Sequence[int]],
                     max_distance: Optional[int] = None) -> List[PropagationTarget]:
    """List every unlabelled frame with the labelled poses of its two neighbours.

    Args:
        videos (dict): ``vid_id -> VideoIndex`` (:func:`load_video_annotations`).
        labeled (dict): ``vid_id -> labelled frame numbers`` (:func:`select_labeled_frames`).
        max_distance (int, optional): Ignore labelled frames farther than this.

    Returns:
        list[PropagationTarget]: One per frame listed in the annotations that is not
        labelled, in video and frame order (frames with no labelled neighbour in range have
        no sources and get no pseudo-label).
    """
    targets = []
    for vid_id in sorted(videos):
        video = videos[vid_id]
        labeled_numbers = np.asarray(sorted(labeled.get(vid_id, ())), np.int64)
        poses_cache: Dict[int, Dict[int, LabeledPose]] = {}
        for number in sorted(video.frames):
            if labeled_numbers.size and number in labeled_numbers:
                continue
            target = PropagationTarget(vid_id, number, video.frames[number].image)
            position = int(np.searchsorted(labeled_numbers, number))
            neighbours = labeled_numbers[max(position - 1, 0):position + 1]
            for source in neighbours:
                source = int(source)
                if max_distance is not None and abs(source - number) > max_distance:
                    continue
                if source not in poses_cache:
                    poses_cache[source] = _labeled_poses(video, source)
                for track_id, pose in poses_cache[source].items():
                    target.sources.setdefault(track_id, []).append(pose)
            targets.append(target)
    return targets


def _shifted_bbox(source: LabeledPose, keypoints: np.ndarray, visible: np.ndarray
                  ) -> np.ndarray:
    """The source box moved by the median displacement of the source's labelled joints."""
    moved = visible & (source.keypoints[:, 2] > 0)
    if not moved.any():
        return source.bbox.copy()
    shift = np.median(keypoints[moved] - source.keypoints[moved, :2], axis=0)
    return np.concatenate([source.bbox[:2] + shift, source.bbox[2:]]).astype(np.float32)


def copy_nearest(target: PropagationTarget) -> List[PropagatedPose]:
    """Each track's nearest labelled pose (ties: the earlier frame), score ``1 / (1 + d)``."""
    results = []
    for track_id, sources in sorted(target.sources.items()):
        source = min(sources, key=lambda s: (abs(s.frame_number - target.frame_number),
                                             s.frame_number))
        visible = source.keypoints[:, 2] > 0
        distance = abs(source.frame_number - target.frame_number)
        results.append(PropagatedPose(
            track_id, source.keypoints[:, :2].copy(),
            visible.astype(np.float32) / (1.0 + distance), visible, source.bbox.copy()))
    return results


def interpolate_linear(target: PropagationTarget) -> List[PropagatedPose]:
    """Linear interpolation between the labelled poses on both sides (copy where one side
    lacks the track or the joint); score ``1 / (1 + d)`` with d the nearer distance."""
    results = []
    for track_id, sources in sorted(target.sources.items()):
        if len(sources) == 1:
            results.extend(copy_nearest(PropagationTarget(
                target.vid_id, target.frame_number, target.image, {track_id: sources})))
            continue
        before, after = sorted(sources, key=lambda s: s.frame_number)
        alpha = (target.frame_number - before.frame_number) / (after.frame_number -
                                                               before.frame_number)
        in_before, in_after = before.keypoints[:, 2] > 0, after.keypoints[:, 2] > 0
        lerp = (1 - alpha) * before.keypoints[:, :2] + alpha * after.keypoints[:, :2]
        keypoints = np.where((in_before & in_after)[:, None], lerp,
                             np.where(in_before[:, None], before.keypoints[:, :2],
                                      after.keypoints[:, :2]))
        visible = in_before | in_after
        distance = min(target.frame_number - before.frame_number,
                       after.frame_number - target.frame_number)
        bbox = (1 - alpha) * before.bbox + alpha * after.bbox
        results.append(PropagatedPose(track_id, keypoints.astype(np.float32),
                                      visible.astype(np.float32) / (1.0 + distance), visible,
                                      bbox.astype(np.float32)))
    return results


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


class ModelPropagator:
    """Run a :class:`PosePropagationEstimator` on source -> target windows.

    Args:
        model (nn.Module): The propagation model (eval mode), built from ``cfg``.
        pipeline (list[dict]): The test pipeline (``LoadVideoFrames`` ...
            ``GenerateSourceHeatmap``, ``PackVideoPoseInputs``).
        metainfo (dict): Dataset metainfo (``flip_indices`` ...).
        img_prefix (str): Folder that the images' ``file_name`` are relative to.
        num_frames (int): Frames per window T.
        batch_size (int): Windows per forward pass. Defaults to 32.
        num_workers (int): Data loading workers. Defaults to 2.
    """

    def __init__(self, model, pipeline: List[dict], metainfo: dict, img_prefix: str,
                 num_frames: int, batch_size: int = 32, num_workers: int = 2) -> None:
        from mmengine.dataset import Compose

        self.model = model
        self.pipeline = Compose(pipeline)
        self.metainfo = metainfo
        self.img_prefix = img_prefix
        self.num_frames = num_frames
        self.batch_size = batch_size
        self.num_workers = num_workers

    def window_info(self, video: VideoIndex, target: PropagationTarget,
                    source: LabeledPose) -> dict:
        """The pipeline input of one window: source first, target last."""
        numbers = np.round(np.linspace(source.frame_number, target.frame_number,
                                       self.num_frames)).astype(np.int64)
        paths = [osp.join(self.img_prefix, video.file_name(int(n))) for n in numbers]
        num_keypoints = source.keypoints.shape[0]
        frame_keypoints = np.zeros((self.num_frames, 1, num_keypoints, 2), np.float32)
        frame_visible = np.zeros((self.num_frames, 1, num_keypoints), np.float32)
        frame_keypoints[0, 0] = source.keypoints[:, :2]
        frame_visible[0, 0] = source.keypoints[:, 2] > 0
        x, y, w, h = (float(v) for v in source.bbox)
        info = dict(
            img_path=paths[-1], frame_paths=paths, img_id=target.image.get('id', 0),
            id=0, category_id=1, bbox=np.array([[x, y, x + w, y + h]], np.float32),
            bbox_score=np.ones(1, np.float32),
            keypoints=np.zeros((1, num_keypoints, 2), np.float32),
            keypoints_visible=np.zeros((1, num_keypoints), np.float32),
            frame_keypoints=frame_keypoints, frame_keypoints_visible=frame_visible,
            frame_offsets=(numbers - target.frame_number).tolist(),
            key_frame_index=self.num_frames - 1, num_frames=self.num_frames,
            vid_id=target.vid_id, frame_number=target.frame_number,
            source_offset=int(source.frame_number - target.frame_number))
        for key in ('dataset_name', 'flip_indices', 'flip_pairs', 'upper_body_ids',
                    'lower_body_ids', 'dataset_keypoint_weights', 'skeleton_links'):
            if key in self.metainfo:
                info[key] = self.metainfo[key]
        return info

    def __call__(self, videos: Dict[str, VideoIndex], targets: Sequence[PropagationTarget],
                 progress: Optional[Callable[[int], None]] = None
                 ) -> Iterator[Tuple[PropagationTarget, List[PropagatedPose]]]:
        """Propagate to every target, yielding ``(target, poses)`` in order.

        Args:
            videos (dict): ``vid_id -> VideoIndex`` of the targets.
            targets (Sequence[PropagationTarget]): From :func:`plan_propagation`.
            progress (callable, optional): Called with the number of targets finished.
        """
        from mmengine.dataset import pseudo_collate
        from torch.utils.data import DataLoader

        jobs = [(t_index, track_id, source)
                for t_index, target in enumerate(targets)
                for track_id, sources in sorted(target.sources.items())
                for source in sources]
        infos = [self.window_info(videos[targets[t].vid_id], targets[t], source)
                 for t, _, source in jobs]
        loader = DataLoader(_MappedList(infos, self.pipeline), batch_size=self.batch_size,
                            num_workers=self.num_workers, collate_fn=pseudo_collate)
        # Windows come back in job order, so targets finish in order: yield each target
        # as soon as its last window is predicted (targets without sources at once).
        remaining = [sum(len(s) for s in target.sources.values()) for target in targets]
        predictions: Dict[int, Dict[int, list]] = {}
        next_target = 0
        samples = (sample for batch in loader for sample in self._predict(batch))
        for (t_index, track_id, source), sample in zip(jobs, samples):
            keypoints = np.asarray(sample.pred_instances.keypoints)[0]
            scores = np.asarray(sample.pred_instances.keypoint_scores)[0]
            predictions.setdefault(t_index, {}).setdefault(track_id, []).append(
                (source, keypoints, scores))
            remaining[t_index] -= 1
            while next_target < len(targets) and remaining[next_target] == 0:
                yield self._finish(targets[next_target],
                                   predictions.pop(next_target, {}), progress)
                next_target += 1
        while next_target < len(targets):  # trailing targets without sources
            yield self._finish(targets[next_target], predictions.pop(next_target, {}),
                               progress)
            next_target += 1

    @torch.no_grad()
    def _predict(self, batch: dict) -> list:
        return self.model.test_step(batch)

    @staticmethod
    def _finish(target: PropagationTarget, per_track: Dict[int, list],
                progress: Optional[Callable[[int], None]]
                ) -> Tuple[PropagationTarget, List[PropagatedPose]]:
        if progress is not None:
            progress(1)
        return target, [fuse_sides(target, track_id, per_track[track_id])
                        for track_id in sorted(per_track)]


class _MappedList:
    """A list of infos run through a pipeline (a map-style dataset for DataLoader)."""

    def __init__(self, infos: List[dict], pipeline: Callable[[dict], dict]) -> None:
        self.infos = infos
        self.pipeline = pipeline

    def __len__(self) -> int:
        return len(self.infos)

    def __getitem__(self, index: int) -> dict:
        import copy

        return self.pipeline(copy.deepcopy(self.infos[index]))


def run_baseline(method: str, targets: Sequence[PropagationTarget]
                 ) -> Iterator[Tuple[PropagationTarget, List[PropagatedPose]]]:
    """Yield ``(target, poses)`` for the ``'copy'`` or ``'interpolate'`` propagator."""
    propagate = {'copy': copy_nearest, 'interpolate': interpolate_linear}[method]
    for target in targets:
        yield target, propagate(target)


def evaluate_pseudo_labels(gt_file: str, pseudo: dict, subset: Optional[str] = None
                           ) -> Dict[str, float]:
    """PoseTrack AP of pseudo-labels on the frames they cover, against hidden labels.

    Only frames listed in ``pseudo['images']`` that carry GT people are evaluated, so the
    labelled frames (which are not propagated) do not count.

    Args:
        gt_file (str): The full annotation json (or folder) with every frame's labels.
        pseudo (dict): Output of :func:`propagation_json`.
        subset (str, optional): ``'occluded'`` for the AP on occluded GT joints.

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
    return evaluate_frames(frames, use_subset=subset is not None)


def write_json(content: dict, path: str) -> None:
    """Write ``content`` as json atomically (the old file or the new one, never half)."""
    from ..utils.atomic_io import atomic_write_bytes

    atomic_write_bytes(json.dumps(content).encode(), path)


class PropagationOutputExists(FileExistsError):
    """The output (or an unfinished run's progress file) exists and may not be replaced."""


def partial_path(out_file: str) -> str:
    """Progress file of an unfinished run writing ``out_file`` (one json line per video)."""
    return f'{out_file}.partial'


def write_pseudo_labels(out_file: str,
                        video_results: Callable[[str], Iterable[Tuple[PropagationTarget,
                                                                      List[PropagatedPose]]]],
                        vid_ids: Sequence[str],
                        categories: Optional[List[dict]] = None,
                        resume: bool = False,
                        overwrite: bool = False) -> dict:
    """Propagate video by video with a resumable progress file; write ``out_file`` at the end.

    Each finished video is appended to ``out_file + '.partial'`` (flushed and fsynced), so a
    killed run loses at most the video in progress; ``resume=True`` skips the videos found
    there (a torn last line is dropped). The final json is written atomically and the
    progress file removed: ``out_file`` is never half-written.

    Args:
        out_file (str): Pseudo-label json to write.
        video_results (callable): ``vid_id -> iterable of (target, poses)``.
        vid_ids (Sequence[str]): Videos to propagate, in order.
        categories (list[dict], optional): ``categories`` of the output json.
        resume (bool): Continue an unfinished run from its progress file.
        overwrite (bool): Replace an existing ``out_file`` (and ignore a progress file).

    Returns:
        dict: The written json.

    Raises:
        PropagationOutputExists: ``out_file`` exists and ``overwrite`` is False, or a
            progress file exists and neither ``resume`` nor ``overwrite`` is set.
    """
    import os

    progress_file = partial_path(out_file)
    if osp.exists(out_file) and not overwrite:
        raise PropagationOutputExists(
            f'{out_file} exists: pass --overwrite to replace it (nothing was written)')
    done: Dict[str, dict] = {}
    if osp.exists(progress_file):
        if overwrite:
            os.remove(progress_file)
        elif not resume:
            raise PropagationOutputExists(
                f'{progress_file} holds an unfinished run: pass --resume to continue it or '
                '--overwrite to start again (nothing was written)')
        else:
            with open(progress_file) as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        break  # the line being written when the run was killed
                    done[entry['vid_id']] = entry
            # Drop a torn tail so appended lines start on a clean line.
            with open(progress_file, 'w') as f:
                f.writelines(json.dumps(entry) + '\n' for entry in done.values())
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(progress_file, 'a') as progress:
        for vid_id in vid_ids:
            if vid_id in done:
                continue
            content = propagation_json(video_results(vid_id))
            entry = dict(vid_id=vid_id, images=content['images'],
                         annotations=content['annotations'])
            progress.write(json.dumps(entry) + '\n')
            progress.flush()
            os.fsync(progress.fileno())
            done[vid_id] = entry
    images, annotations = [], []
    for vid_id in vid_ids:
        images.extend(done[vid_id]['images'])
        for ann in done[vid_id]['annotations']:
            annotations.append(dict(ann, id=len(annotations)))
    content = dict(categories=categories or [], images=images, annotations=annotations)
    write_json(content, out_file)
    os.remove(progress_file)
    return content
