"""Per-track ring buffers of per-frame crop features, and the window of a track.

Streaming inference runs the backbone once per (track, frame) crop and keeps the result in
the track's :class:`FrameRingBuffer` of T entries; every T-frame window that contains that
frame (T of them with a centred model) reads it from there instead of recomputing it.

A window is a list of T frame numbers, one per position (see :func:`track_window`): each
position's frame is the key frame plus that position's offset, and where the track has no
box on that frame (occlusion, missed detection, before the start or after the end of the
video) the nearest frame towards the key frame where it has one is used instead: the same
clamping as :class:`stdpose_mm.datasets.PoseTrackVideoDataset` at the ends of a video. The key
frame itself always belongs to the track, so every window frame lies within
``[key + min(offsets), key + max(offsets)]``, the newest of which has arrived when the window
is needed: its frames are among the track's most recent ``max(offsets) - min(offsets) + 1``
cached frames (T for consecutive offsets), which is the buffer size.
"""
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Sequence, Tuple


class FrameRingBuffer:
    """A fixed-size cache of one track's per-frame entries, keyed by frame number.

    Entries must arrive in increasing frame order; adding one to a full buffer drops the
    oldest. Typical values are backbone features (C, h, w) (streaming) or the normalised crop
    (3, H, W) (recompute path).

    Args:
        capacity (int): Number of frames kept (T).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f'capacity must be >= 1, got {capacity}')
        self.capacity = int(capacity)
        self._entries: 'OrderedDict[int, Any]' = OrderedDict()

    def put(self, frame: int, value: Any) -> None:
        """Stores ``value`` for ``frame``, evicting the oldest frame when full.

        Args:
            frame (int): Frame number, larger than every frame already stored.
            value: The entry.

        Raises:
            ValueError: If ``frame`` is not newer than the newest stored frame.
        """
        if self._entries and frame <= self.latest:
            raise ValueError(f'frames must be added in increasing order: {frame} after '
                             f'{self.latest}')
        self._entries[int(frame)] = value
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def get(self, frame: int) -> Any:
        """The entry of ``frame``.

        Raises:
            KeyError: If the frame was never stored or has been evicted.
        """
        try:
            return self._entries[frame]
        except KeyError:
            raise KeyError(f'frame {frame} is not cached (cached: {self.frames})') from None

    def window(self, frames: Sequence[int]) -> List[Any]:
        """Entries of ``frames``, in that order (frames may repeat)."""
        return [self.get(frame) for frame in frames]

    @property
    def frames(self) -> List[int]:
        """Cached frame numbers, oldest first."""
        return list(self._entries)

    @property
    def latest(self) -> int:
        """The newest cached frame number (-1 when empty)."""
        return next(reversed(self._entries)) if self._entries else -1

    def __contains__(self, frame: int) -> bool:
        return frame in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class TrackFeatureCache:
    """One :class:`FrameRingBuffer` of T entries per track.

    Args:
        capacity (int): Frames kept per track (T).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self.buffers: Dict[int, FrameRingBuffer] = {}

    def put(self, track_id: int, frame: int, value: Any) -> None:
        """Stores one crop's entry in its track's buffer (created on first use)."""
        buffer = self.buffers.get(track_id)
        if buffer is None or (len(buffer) and frame <= buffer.latest):
            # A new track, or a reused id after a reset: start afresh.
            buffer = self.buffers[track_id] = FrameRingBuffer(self.capacity)
        buffer.put(frame, value)

    def window(self, track_id: int, frames: Sequence[int]) -> List[Any]:
        """A track's entries for the window's frames."""
        return self.buffers[track_id].window(frames)

    def drop_stale(self, oldest_needed: int) -> None:
        """Frees the buffers of tracks with no frame at or after ``oldest_needed``."""
        for track_id in [t for t, b in self.buffers.items() if b.latest < oldest_needed]:
            del self.buffers[track_id]

    def clear(self) -> None:
        self.buffers.clear()

    def __len__(self) -> int:
        return len(self.buffers)

    def __iter__(self) -> Iterator[Tuple[int, FrameRingBuffer]]:
        return iter(self.buffers.items())


def track_window(key_frame: int, offsets: Sequence[int],
                 has_frame: Callable[[int], bool]) -> List[int]:
    """The frame numbers of a track's T-frame window around ``key_frame``.

    Args:
        key_frame (int): The key frame (the track must have a box on it).
        offsets (Sequence[int]): Offset of each window position from the key frame, e.g.
            ``(-2, -1, 0, 1, 2)`` (centred) or ``(-4, -3, -2, -1, 0)`` (causal).
        has_frame (Callable[[int], bool]): Whether the track has a box on a frame.

    Returns:
        list[int]: T frame numbers; a position whose frame the track lacks takes the
        nearest frame towards the key frame that it has.
    """
    frames = []
    for offset in offsets:
        frame = key_frame + offset
        step = -1 if offset > 0 else 1
        while frame != key_frame and not has_frame(frame):
            frame += step
        frames.append(frame)
    return frames
