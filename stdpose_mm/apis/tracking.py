"""Linking per-frame person boxes into tracks (greedy IoU association).

The video inferencer builds each person's T-frame window from that person's track, so the
tracker only has to be right over a few frames: greedy IoU matching against each live
track's last box is what MMPose's own inferencer does for its ``use_oks_tracking=False``
mode, and is enough for the small motion between consecutive video frames.

Example:
    >>> tracker = IoUTracker(iou_thr=0.3, max_missed=5)
    >>> ids = tracker.update(np.array([[10, 10, 50, 90]]))   # array([0])
    >>> ids = tracker.update(np.array([[12, 11, 52, 91]]))   # array([0]): same person
"""
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np


def bbox_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two sets of boxes.

    Args:
        boxes_a (np.ndarray): Boxes (N, 4) as (x1, y1, x2, y2).
        boxes_b (np.ndarray): Boxes (M, 4) as (x1, y1, x2, y2).

    Returns:
        np.ndarray: IoU matrix (N, M), 0 where a union is empty.
    """
    boxes_a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(-1)
    area_a = np.clip(boxes_a[:, 2:] - boxes_a[:, :2], 0, None).prod(-1)
    area_b = np.clip(boxes_b[:, 2:] - boxes_b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.)


@dataclass
class _Track:
    bbox: np.ndarray  # (4,) last matched box
    last_frame: int


class IoUTracker:
    """Greedy IoU association of boxes to tracks, frame after frame.

    Each new frame's boxes are matched to the live tracks' last boxes in order of decreasing
    IoU (greedy, one box per track); pairs below ``iou_thr`` are not matched. Unmatched boxes
    start new tracks with fresh ids; ids are never reused. A track that has not been matched
    for more than ``max_missed`` consecutive frames expires.

    Args:
        iou_thr (float): Minimum IoU to continue a track. Defaults to 0.3.
        max_missed (int): Consecutive frames a track may go unmatched and still be continued
            by the next frame; after more it expires. Defaults to 5.
    """

    def __init__(self, iou_thr: float = 0.3, max_missed: int = 5) -> None:
        if not 0 <= iou_thr <= 1:
            raise ValueError(f'iou_thr must be in [0, 1], got {iou_thr}')
        if max_missed < 0:
            raise ValueError(f'max_missed must be >= 0, got {max_missed}')
        self.iou_thr = float(iou_thr)
        self.max_missed = int(max_missed)
        self.reset()

    def reset(self) -> None:
        """Forgets every track; ids start again from 0."""
        self.tracks: Dict[int, _Track] = {}
        self.next_id = 0
        self.frame = -1

    def update(self, bboxes: np.ndarray, frame: Optional[int] = None) -> np.ndarray:
        """Assigns track ids to one frame's boxes.

        Args:
            bboxes (np.ndarray): Boxes (N, 4) as (x1, y1, x2, y2); extra columns (a score)
                are ignored.
            frame (int, optional): The frame number; defaults to the previous one + 1.

        Returns:
            np.ndarray: Track ids (N,) int64, in the order of ``bboxes``.
        """
        self.frame = self.frame + 1 if frame is None else int(frame)
        bboxes = np.asarray(bboxes, dtype=np.float64)
        bboxes = bboxes.reshape(0, 4) if bboxes.size == 0 else bboxes.reshape(
            -1, bboxes.shape[-1])[:, :4]
        # Expire first so a long-gone track cannot steal a box from a new one.
        self.tracks = {tid: track for tid, track in self.tracks.items()
                       if self.frame - track.last_frame <= self.max_missed + 1}
        ids = np.full(len(bboxes), -1, dtype=np.int64)
        track_ids = list(self.tracks)
        if track_ids and len(bboxes):
            ious = bbox_iou(np.stack([self.tracks[t].bbox for t in track_ids]), bboxes)
            # Greedy: best remaining pair first (stable order breaks ties deterministically).
            order = np.argsort(-ious, axis=None, kind='stable')
            used_tracks, used_boxes = set(), set()
            for flat in order:
                row, col = divmod(int(flat), len(bboxes))
                if ious[row, col] < self.iou_thr or ious[row, col] <= 0:
                    break
                if row in used_tracks or col in used_boxes:
                    continue
                used_tracks.add(row)
                used_boxes.add(col)
                ids[col] = track_ids[row]
        for col in np.flatnonzero(ids < 0):
            ids[col] = self.next_id
            self.next_id += 1
        for col, tid in enumerate(ids):
            self.tracks[int(tid)] = _Track(bbox=bboxes[col].copy(), last_frame=self.frame)
        return ids
