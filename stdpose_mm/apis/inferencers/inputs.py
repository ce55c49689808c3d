"""Checking what a user passes as video input, before any model work.

A string input is a video file, an image, a folder of frames (a video) or ``'webcam:<id>'``.
:func:`check_video_input` turns every input that would give no frames (a path that does
not exist, a 0-byte or undecodable file, a folder without images, a file that is neither an
image nor a video) into one :class:`VideoInputError` that names the path, instead of
MMPose's behaviour (a traceback from deep inside, or, for an undecodable video or an empty
folder, zero frames processed without a word).
"""
import mimetypes
import os
from typing import List

WEBCAM_PREFIX = 'webcam'


class VideoInputError(ValueError):
    """An input that gives no frames; the message names the path and what is wrong.

    Attributes:
        path (str): The input as given.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def media_type(path: str) -> str:
    """``'image'``, ``'video'``, ... from the file name's extension ('' when unknown)."""
    return (mimetypes.guess_type(path)[0] or '').split('/')[0]


def list_frame_files(folder: str) -> List[str]:
    """The image files of a folder of frames, sorted by name (other files are ignored).

    Args:
        folder (str): The folder.

    Returns:
        list[str]: Paths ``folder/<name>``.
    """
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if media_type(name) == 'image' and os.path.isfile(os.path.join(folder, name)))


def check_video_input(source: str) -> str:
    """What kind of input ``source`` is, checked to give at least one frame.

    A video must open and decode its first frame; an image must decode.

    Args:
        source (str): A video file, an image, a folder of frames or ``'webcam:<id>'``.

    Returns:
        str: ``'webcam'``, ``'folder'``, ``'video'`` or ``'image'``.

    Raises:
        VideoInputError: The path does not exist, is empty (0 bytes), does not decode, is
            a folder without image files, or is neither an image nor a video.
    """
    import cv2

    source = os.fspath(source)
    if source.startswith(WEBCAM_PREFIX):
        return 'webcam'
    if not os.path.exists(source):
        raise VideoInputError(f'input not found: {source}', source)
    if os.path.isdir(source):
        if not list_frame_files(source):
            raise VideoInputError(f'no image files in the input folder {source}', source)
        return 'folder'
    kind = media_type(source)
    if kind not in ('video', 'image'):
        raise VideoInputError(f'input {source} is neither a video nor an image (by its '
                              'extension); give a video file, an image, a folder of frames '
                              "or 'webcam:<id>'", source)
    if os.path.getsize(source) == 0:
        raise VideoInputError(f'input {source} is empty (0 bytes)', source)
    if kind == 'video':
        capture = cv2.VideoCapture(source)
        try:
            readable = capture.isOpened() and capture.read()[0]
        finally:
            capture.release()
        if not readable:
            raise VideoInputError(f'input {source} does not decode as a video (no readable '
                                  'frame)', source)
    elif cv2.imread(source) is None:
        raise VideoInputError(f'input {source} does not decode as an image', source)
    return kind
