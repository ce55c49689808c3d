"""Reading person detections (MMPose detections json) for video inference.

MMPose's detections json (the ``bbox_file`` of its top-down datasets, also the PoseTrack
literature's released detections) is a list of ``{'image_id', 'bbox': [x, y, w, h],
'score', 'category_id'}``. A video has no COCO image ids, so an entry is matched to a frame
by, in order:

- ``image_name`` (or ``file_name``): the frame's file name (basename) and, when the entry
  names a folder, the frame's folder (``images/val/000001_mpii/000003.jpg`` matches
  ``.../000001_mpii/000003.jpg`` only);
- ``frame_index``: the frame's position in the input (0-based);
- ``image_id``: PoseTrack's convention ``1 + 6-digit video + 4-digit frame number``
  (``10128340003`` is frame 3 of video 012834), i.e. the frame number is
  ``image_id % 10000`` and the video number ``image_id // 10000 % 10**6``. A json that
  covers several videos (the val detections) gives a frame the boxes of the video named by
  the leading digits of the frame's folder (PoseTrack's ``012834_mpii_test/``); a frame
  whose video cannot be told that way is an error, never another video's boxes.

A frame's number is the integer in its file name (``000003.jpg`` -> 3) when there is one,
else its position in the input (video frames are numbered from 0).
"""
import json
import os
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

PERSON_CATEGORY_ID = 1
POSETRACK_FRAME_DIGITS = 10000
POSETRACK_VIDEO_DIGITS = 10**6
_LEADING_DIGITS = re.compile(r'\d+')


def _folder_of(path: str) -> str:
    """Name of the folder a frame path is in ('' for a bare file name)."""
    return os.path.basename(os.path.dirname(os.path.normpath(path)))


class FrameDetections:
    """Person boxes per frame, from a detections json or a per-frame list.

    Args:
        detections (str | list): Path to a detections json, its loaded list of dicts, or a
            per-frame list of arrays (N, 4) or (N, 5) of (x1, y1, x2, y2[, score]) (MMPose's
            ``bboxes`` argument: element i belongs to input i).
    """

    def __init__(self, detections: Union[str, os.PathLike, Sequence]) -> None:
        # basename -> (folder or '', box); frame number -> (video number or None, box)
        self.by_name: Dict[str, List[Tuple[str, np.ndarray]]] = defaultdict(list)
        self.by_frame: Dict[int, List[Tuple[Optional[int], np.ndarray]]] = defaultdict(list)
        self.videos: Set[int] = set()
        self.by_input: Dict[int, np.ndarray] = {}
        if isinstance(detections, (str, os.PathLike)):
            with open(detections) as file:
                detections = json.load(file)
        if detections and all(isinstance(item, dict) for item in detections):
            self._index_json(detections)
        else:
            for index, boxes in enumerate(detections):
                boxes = np.asarray(boxes, dtype=np.float32)
                boxes = boxes.reshape(0, 5) if boxes.size == 0 else boxes.reshape(
                    -1, boxes.shape[-1])
                if boxes.shape[1] == 4:  # no score: a given box is certain
                    boxes = np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], 1)
                self.by_input[index] = boxes[:, :5]

    def _index_json(self, entries: Sequence[dict]) -> None:
        for entry in entries:
            if entry.get('category_id', PERSON_CATEGORY_ID) != PERSON_CATEGORY_ID:
                continue
            x, y, w, h = (float(v) for v in entry['bbox'][:4])
            box = np.array([x, y, x + w, y + h, float(entry.get('score', 1.))], np.float32)
            name = entry.get('image_name', entry.get('file_name'))
            if name is not None:
                self.by_name[os.path.basename(name)].append((_folder_of(name), box))
            elif 'frame_index' in entry:
                self.by_frame[int(entry['frame_index'])].append((None, box))
            elif 'image_id' in entry:
                image_id = int(entry['image_id'])
                video = image_id // POSETRACK_FRAME_DIGITS % POSETRACK_VIDEO_DIGITS
                self.videos.add(video)
                self.by_frame[image_id % POSETRACK_FRAME_DIGITS].append((video, box))
            else:
                raise ValueError(f'a detection needs image_name, frame_index or image_id: '
                                 f'{entry}')

    def __call__(self, index: int, img_path: str) -> np.ndarray:
        """The boxes of one frame.

        Args:
            index (int): Position of the frame in the input.
            img_path (str): The frame's path (or MMPose's generated name for an array).

        Returns:
            np.ndarray: Boxes (N, 5) float32 as (x1, y1, x2, y2, score).

        Raises:
            ValueError: The json covers several videos (PoseTrack image ids) and the frame's
                folder does not say which one the frame belongs to.
        """
        if self.by_input:
            return self.by_input.get(index, np.zeros((0, 5), np.float32))
        name, folder = os.path.basename(img_path), _folder_of(img_path)
        named = self.by_name.get(name)
        if named is not None:
            boxes = [box for box_folder, box in named
                     if not box_folder or not folder or box_folder == folder]
        else:
            stem = os.path.splitext(name)[0]
            number = int(stem) if stem.isdigit() else index
            video = self._video_of(folder, img_path)
            boxes = [box for box_video, box in self.by_frame.get(number, [])
                     if box_video is None or video is None or box_video == video]
        return np.stack(boxes) if boxes else np.zeros((0, 5), np.float32)

    def _video_of(self, folder: str, img_path: str) -> Optional[int]:
        """The PoseTrack video number of a frame's folder (None: any video will do)."""
        if len(self.videos) <= 1:
            return None
        digits = _LEADING_DIGITS.match(folder)
        if digits is None or int(digits.group()) not in self.videos:
            raise ValueError(
                f'the detections json covers {len(self.videos)} videos (PoseTrack image ids) '
                f'and the folder of frame {img_path} does not name one of them: put the '
                'frames in a folder named after the video (e.g. 012834_mpii_test/)')
        return int(digits.group())
