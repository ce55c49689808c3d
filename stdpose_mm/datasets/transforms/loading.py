"""Reading the T frames of a video sample once."""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from mmengine.logging import print_log
from mmpose.registry import TRANSFORMS


class FrameReadError(IOError):
    """A frame of a video sample is missing or does not decode.

    Attributes:
        path (str, optional): The frame's path (lets callers log each bad file once).
        missing (bool): The file does not exist (rather than existing but failing to read
            or decode).
    """

    def __init__(self, message: str, path: Optional[str] = None,
                 missing: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.missing = missing


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Load every frame in ``results['frame_paths']`` as a list of BGR images.

    Each distinct path is read and decoded once, even where clamping at a video's ends
    repeats a frame. The key frame must exist and decode; a missing or corrupt support frame
    is an error naming the file by default (``on_missing='error'``), or is replaced by the
    nearest readable frame of the window (``'nearest'``), warned once per video. Frames in
    ``results['bad_frame_paths']`` (set by ``PoseTrackVideoDataset(bad_data='skip')``, whose
    pre-check found them bad and logged them) are not read and always fall back to the
    nearest readable frame. The key frame falls back too when ``results`` has
    ``replace_bad_key_frame=True`` (set by ``PoseTrackVideoDataset`` in val/test for a frame
    that failed to decode at run time); a window without any readable frame is an error.

    Required keys: ``frame_paths``, ``key_frame_index``.
    Added keys: ``img`` (list of T arrays (h, w, 3)), ``img_shape``, ``ori_shape``,
    ``frame_replaced`` (T,) bool.

    Args:
        on_missing (str): ``'error'`` or ``'nearest'``.
        to_float32 (bool): Convert frames to float32.
        backend_args (dict, optional): MMEngine file backend arguments.
    """

    def __init__(self,
                 on_missing: str = 'error',
                 to_float32: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if on_missing not in ('error', 'nearest'):
            raise ValueError(f'on_missing must be "error" or "nearest", got {on_missing!r}')
        self.on_missing = on_missing
        self.to_float32 = to_float32
        self.backend_args = backend_args
        self._warned_videos: set = set()

    def _read(self, path: str) -> np.ndarray:
        try:
            content = get(path, backend_args=self.backend_args)
        except (FileNotFoundError, OSError) as err:
            raise FrameReadError(f'frame not found or unreadable: {path} ({err})', path,
                                 missing=isinstance(err, FileNotFoundError)) from None
        try:
            # OpenCV raises (rather than returns None) on an empty buffer, e.g. a 0-byte file.
            img = mmcv.imfrombytes(content, flag='color', channel_order='bgr') \
                if content else None
        except Exception as err:  # any decoder failure means an unreadable frame
            raise FrameReadError(f'frame does not decode as an image: {path} ({err})',
                                 path) from None
        if img is None:
            raise FrameReadError(f'frame does not decode as an image: {path}', path)
        return img.astype(np.float32) if self.to_float32 else img

    def transform(self, results: dict) -> dict:
        paths = results['frame_paths']
        key_index = results['key_frame_index']
        known_bad = set(results.get('bad_frame_paths', ()))
        decoded = {}
        for path in dict.fromkeys(paths):  # distinct, in order
            if path in known_bad:
                decoded[path] = FrameReadError(f'frame marked bad by the pre-check: {path}',
                                               path)
                continue
            try:
                decoded[path] = self._read(path)
            except FrameReadError as err:
                decoded[path] = err
        key_frame = decoded[paths[key_index]]
        if all(isinstance(frame, FrameReadError) for frame in decoded.values()):
            raise FrameReadError(f'no frame of the window of sample id={results.get("id")} '
                                 f'is readable (key frame {paths[key_index]}: {key_frame})',
                                 paths[key_index], key_frame.missing)
        if isinstance(key_frame, FrameReadError) and not (
                results.get('replace_bad_key_frame') and key_frame.path in known_bad):
            raise FrameReadError(f'{key_frame} (key frame of sample id={results.get("id")})',
                                 key_frame.path, key_frame.missing)
        frames, replaced = [], []
        for index, path in enumerate(paths):
            frame = decoded[path]
            if isinstance(frame, FrameReadError):
                if self.on_missing == 'error' and path not in known_bad:
                    raise FrameReadError(
                        f'{frame} (support frame {index} of sample id={results.get("id")}, '
                        f'key frame {paths[key_index]}); set on_missing="nearest" in '
                        'LoadVideoFrames to fall back to the nearest readable frame', path,
                        frame.missing)
                frame = self._nearest_readable(paths, decoded, index)
                if path not in known_bad:  # the dataset has logged those already
                    self._warn_once(results, path)
            frames.append(frame)
            replaced.append(frame is not decoded[path])
        shapes = {frame.shape for frame in frames}
        if len(shapes) > 1:
            raise FrameReadError(f'frames of one sample differ in size {sorted(shapes)}: '
                                 f'{paths}')
        results['img'] = frames
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        results['frame_replaced'] = np.asarray(replaced)
        return results

    @staticmethod
    def _nearest_readable(paths, decoded, index) -> np.ndarray:
        order = sorted(range(len(paths)), key=lambda other: (abs(other - index), other))
        for other in order:
            frame = decoded[paths[other]]
            if not isinstance(frame, FrameReadError):
                return frame
        raise AssertionError('a frame of the window is readable')  # checked by the caller

    def _warn_once(self, results: dict, path: str) -> None:
        video = results.get('vid_id', path)
        if video not in self._warned_videos:
            self._warned_videos.add(video)
            print_log(f'LoadVideoFrames: {path} is missing or corrupt; using the nearest '
                      f'readable frame (warned once for video {video})', logger='current',
                      level=logging.WARNING)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(on_missing={self.on_missing!r})'
