"""Model propagators: a trained propagation model run over planned targets.

Both build their windows with the dataset's functions
(:mod:`stdpose_mm.datasets.propagation_samples`), so inference sees the frames and inputs
training saw:

- :class:`ModelPropagator`: the one-sided :class:`PosePropagationEstimator`, a window
  source -> target per labelled side (:func:`pair_window_offsets`), fused per joint;
- :class:`BidirectionalPropagator`: :class:`BidirectionalPropagationEstimator`, one window
  of ``frame_indices`` around the target (:func:`window_frame_numbers`) with both labelled
  neighbours and their interpolation (:func:`neighbour_fields`).
"""
import copy
import os.path as osp
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..datasets.posetrack_annotations import VideoIndex
from ..datasets.propagation_samples import (
    interpolate_pose,
    neighbour_fields,
    pair_window_offsets,
    window_frame_numbers,
)
from .propagation import (
    LabeledPose,
    PropagatedPose,
    PropagationTarget,
    as_side,
    fuse_sides,
)

METAINFO_KEYS = ('dataset_name', 'flip_indices', 'flip_pairs', 'upper_body_ids',
                 'lower_body_ids', 'dataset_keypoint_weights', 'skeleton_links')
Job = Tuple[int, int, object]  # (target index, track id, payload)


class _WindowPropagator:
    """Batched model inference over propagation windows, yielding targets in order.

    Args:
        model (nn.Module): The propagation model (eval mode).
        pipeline (list[dict]): The model's test pipeline.
        metainfo (dict): Dataset metainfo (``flip_indices`` ...).
        img_prefix (str): Folder that the images' ``file_name`` are relative to.
        batch_size (int): Windows per forward pass. Defaults to 32.
        num_workers (int): Data loading workers. Defaults to 2.
    """

    def __init__(self, model, pipeline: List[dict], metainfo: dict, img_prefix: str,
                 batch_size: int = 32, num_workers: int = 2) -> None:
        from mmengine.dataset import Compose

        self.model = model
        self.pipeline = Compose(pipeline)
        self.metainfo = metainfo
        self.img_prefix = img_prefix
        self.batch_size = batch_size
        self.num_workers = num_workers

    def _base_info(self, video: VideoIndex, target: PropagationTarget,
                   numbers: np.ndarray, key_frame_index: int, num_keypoints: int) -> dict:
        """Pipeline input common to both models: the window's frames, no target label."""
        paths = [osp.join(self.img_prefix, video.file_name(int(n))) for n in numbers]
        info = dict(
            img_path=paths[key_frame_index], frame_paths=paths,
            img_id=target.image.get('id', 0), id=0, category_id=1,
            bbox_score=np.ones(1, np.float32),
            keypoints=np.zeros((1, num_keypoints, 2), np.float32),
            keypoints_visible=np.zeros((1, num_keypoints), np.float32),
            frame_offsets=(numbers - target.frame_number).tolist(),
            key_frame_index=key_frame_index, num_frames=len(numbers),
            vid_id=target.vid_id, frame_number=target.frame_number)
        info.update({key: self.metainfo[key] for key in METAINFO_KEYS if key in self.metainfo})
        return info

    def jobs(self, videos: Dict[str, VideoIndex], t_index: int, target: PropagationTarget
             ) -> List[Tuple[Job, dict]]:
        """``((t_index, track_id, payload), pipeline input)`` of every window of a target."""
        raise NotImplementedError

    def finish(self, target: PropagationTarget, per_track: Dict[int, list]
               ) -> List[PropagatedPose]:
        """The target's poses from ``track_id -> [(payload, keypoints, scores)]``."""
        raise NotImplementedError

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

        pairs = [pair for index, target in enumerate(targets)
                 for pair in self.jobs(videos, index, target)]
        jobs = [job for job, _ in pairs]
        loader = DataLoader(_MappedList([info for _, info in pairs], self.pipeline),
                            batch_size=self.batch_size, num_workers=self.num_workers,
                            collate_fn=pseudo_collate)
        # Windows come back in job order, so targets finish in order: yield each target
        # as soon as its last window is predicted (targets without windows at once).
        remaining = [0] * len(targets)
        for t_index, _, _ in jobs:
            remaining[t_index] += 1
        predictions: Dict[int, Dict[int, list]] = {}
        next_target = 0

        def finished(index):
            if progress is not None:
                progress(1)
            return targets[index], self.finish(targets[index], predictions.pop(index, {}))

        samples = (sample for batch in loader for sample in self._predict(batch))
        for (t_index, track_id, payload), sample in zip(jobs, samples):
            keypoints = np.asarray(sample.pred_instances.keypoints)[0]
            scores = np.asarray(sample.pred_instances.keypoint_scores)[0]
            predictions.setdefault(t_index, {}).setdefault(track_id, []).append(
                (payload, keypoints, scores))
            remaining[t_index] -= 1
            while next_target < len(targets) and remaining[next_target] == 0:
                yield finished(next_target)
                next_target += 1
        while next_target < len(targets):  # trailing targets without windows
            yield finished(next_target)
            next_target += 1

    @torch.no_grad()
    def _predict(self, batch: dict) -> list:
        return self.model.test_step(batch)


class ModelPropagator(_WindowPropagator):
    """Run a one-sided :class:`PosePropagationEstimator` on source -> target windows.

    Args:
        num_frames (int): Frames per window T.
        **kwargs: As :class:`_WindowPropagator`.
    """

    def __init__(self, model, pipeline: List[dict], metainfo: dict, img_prefix: str,
                 num_frames: int, batch_size: int = 32, num_workers: int = 2) -> None:
        super().__init__(model, pipeline, metainfo, img_prefix, batch_size, num_workers)
        self.num_frames = num_frames

    def window_info(self, video: VideoIndex, target: PropagationTarget,
                    source: LabeledPose) -> dict:
        """The pipeline input of one window: source first, target last."""
        source_offset = int(source.frame_number - target.frame_number)
        numbers = target.frame_number + pair_window_offsets(source_offset, self.num_frames)
        num_keypoints = source.keypoints.shape[0]
        info = self._base_info(video, target, numbers, self.num_frames - 1, num_keypoints)
        frame_keypoints = np.zeros((self.num_frames, 1, num_keypoints, 2), np.float32)
        frame_visible = np.zeros((self.num_frames, 1, num_keypoints), np.float32)
        frame_keypoints[0, 0] = source.keypoints[:, :2]
        frame_visible[0, 0] = source.keypoints[:, 2] > 0
        x, y, w, h = (float(v) for v in source.bbox)
        info.update(bbox=np.array([[x, y, x + w, y + h]], np.float32),
                    frame_keypoints=frame_keypoints, frame_keypoints_visible=frame_visible,
                    source_offset=source_offset)
        return info

    def jobs(self, videos, t_index, target):
        return [((t_index, track_id, source),
                 self.window_info(videos[target.vid_id], target, source))
                for track_id, sources in sorted(target.sources.items()) for source in sources]

    def finish(self, target, per_track):
        return [fuse_sides(target, track_id, per_track[track_id])
                for track_id in sorted(per_track)]


class BidirectionalPropagator(_WindowPropagator):
    """Run a :class:`BidirectionalPropagationEstimator`: one window per (target, track).

    Scores are the model's heatmap peaks (for the untrained model exactly
    :func:`carry_confidence`, as interpolation); visible joints are those a labelled
    neighbour has; the box is the neighbours' interpolated box.

    Args:
        frame_indices (Sequence[int]): The window's offsets around the target (the
            dataset's ``frame_indices``).
        **kwargs: As :class:`_WindowPropagator`.
    """

    def __init__(self, model, pipeline: List[dict], metainfo: dict, img_prefix: str,
                 frame_indices: Sequence[int], batch_size: int = 32,
                 num_workers: int = 2) -> None:
        super().__init__(model, pipeline, metainfo, img_prefix, batch_size, num_workers)
        self.frame_indices = sorted(int(offset) for offset in frame_indices)

    def window_info(self, video: VideoIndex, target: PropagationTarget,
                    track_id: int) -> dict:
        """The pipeline input of a target's track: window, neighbours, prior, box."""
        before, after = map(as_side, target.sides(track_id))
        numbers = window_frame_numbers(target.frame_number, self.frame_indices,
                                       video.first_frame, video.last_frame)
        num_keypoints = (before or after)[1].shape[0]
        info = self._base_info(video, target, numbers, self.frame_indices.index(0),
                               num_keypoints)
        info.update(neighbour_fields(target.frame_number, before, after, num_keypoints))
        return info

    def jobs(self, videos, t_index, target):
        return [((t_index, track_id, None),
                 self.window_info(videos[target.vid_id], target, track_id))
                for track_id in sorted(target.sources)]

    def finish(self, target, per_track):
        poses = []
        for track_id in sorted(per_track):
            (_, keypoints, scores), = per_track[track_id]
            prior = interpolate_pose(target.frame_number,
                                     *map(as_side, target.sides(track_id)))
            visible = prior['visible']
            poses.append(PropagatedPose(
                track_id, np.where(visible[:, None], keypoints, prior['keypoints'])
                .astype(np.float32), (scores * visible).astype(np.float32), visible,
                prior['bbox']))
        return poses


class _MappedList:
    """A list of infos run through a pipeline (a map-style dataset for DataLoader)."""

    def __init__(self, infos: List[dict], pipeline: Callable[[dict], dict]) -> None:
        self.infos = infos
        self.pipeline = pipeline

    def __len__(self) -> int:
        return len(self.infos)

    def __getitem__(self, index: int) -> dict:
        return self.pipeline(copy.deepcopy(self.infos[index]))
