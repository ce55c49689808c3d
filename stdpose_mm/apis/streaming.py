"""The per-crop feature cache of streaming video inference, and windows of frames.

:class:`CropFeatureCache` is what :class:`~stdpose_mm.apis.VideoPoseInferencer` uses: with
the key-box geometry of training and ``tools/test.py`` (every frame of a window is cut with
the key frame's box), a crop is identified by its frame and its box, and its features are
shared by every window that cuts that frame with that box (all T windows of a person whose
box does not change). :func:`clamped_window` gives a window's frame numbers, clamped to the
video as :class:`stdpose_mm.datasets.PoseTrackVideoDataset` does.
"""
from typing import Any, Dict, Hashable, List, Sequence, Tuple

CropKey = Tuple[int, Hashable]  # (frame number, crop box identity)


class CropFeatureCache:
    """Entries of (frame, crop box) pairs, e.g. backbone features (C, h, w) per view.

    Entries are added in any order and dropped by frame number when no later window can
    use them (:meth:`drop_before`).
    """

    def __init__(self) -> None:
        self._entries: Dict[CropKey, Any] = {}

    def put(self, key: CropKey, value: Any) -> None:
        """Stores the entry of one crop, ``key = (frame, box identity)``."""
        self._entries[(int(key[0]), key[1])] = value

    def window(self, keys: Sequence[CropKey]) -> List[Any]:
        """Entries of a window's crops, in order (keys may repeat).

        Raises:
            KeyError: A crop was never stored or has been dropped.
        """
        try:
            return [self._entries[key] for key in keys]
        except KeyError as err:
            raise KeyError(f'crop of frame {err.args[0][0]} with this box is not cached '
                           f'(cached frames: {sorted({f for f, _ in self._entries})})') from None

    def drop_before(self, frame: int) -> None:
        """Frees the entries of frames older than ``frame``."""
        for key in [key for key in self._entries if key[0] < frame]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, key: CropKey) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


def clamped_window(key_frame: int, offsets: Sequence[int], first: int, last: int) -> List[int]:
    """Frame numbers of a window, clamped to the video as ``PoseTrackVideoDataset`` does.

    Args:
        key_frame (int): The key frame.
        offsets (Sequence[int]): Offset of each window position from the key frame.
        first (int): First frame of the video.
        last (int): Last frame of the video (or the newest arrived, at the end of a stream).

    Returns:
        list[int]: ``clip(key_frame + offset, first, last)`` per position.
    """
    return [min(max(key_frame + offset, first), last) for offset in offsets]
