"""Person detections for PoseTrack evaluation from any MMDetection model.

The val/test configs read people from a detections json (``bbox_file`` of
:class:`~stdpose_mm.datasets.PoseTrackVideoDataset`, MMPose's format): a list of
``{'image_id', 'bbox': [x, y, w, h], 'score', 'category_id': 1}`` whose ``image_id`` is the
``id`` of a frame of the annotation file. :func:`detect_people` runs a detector over every
frame the annotation file lists and returns that list; ``tools/detect_people.py`` writes it.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ...datasets.posetrack_annotations import load_video_annotations
from ...utils.atomic_io import atomic_write_bytes

PERSON_CATEGORY_ID = 1  # PoseTrack's (and COCO's annotation) person category


def default_data_root(ann_file: str) -> str:
    """The folder that the annotation file's ``file_name`` s are relative to.

    PoseTrack's layouts put the annotations two levels below it:
    ``<root>/annotations/posetrack18_val.json`` (PT17/18 merged json) and
    ``<root>/posetrack_data/val`` (PT21 folder of per-video jsons).
    """
    return osp.dirname(osp.dirname(osp.abspath(ann_file.rstrip('/'))))


def detect_people(detector,
                  ann_file: str,
                  data_root: Optional[str] = None,
                  cat_ids: Sequence[int] = (0, ),
                  score_thr: float = 0.,
                  batch_size: int = 4,
                  num_keypoints: int = 17) -> List[Dict]:
    """Detect people on every frame listed by a PoseTrack annotation file.

    Args:
        detector (nn.Module): An MMDetection model (``mmdet.apis.init_detector``).
        ann_file (str): PoseTrack annotations: a merged json or a folder of per-video jsons.
        data_root (str, optional): Folder the frames' ``file_name`` s are relative to.
            Defaults to :func:`default_data_root`.
        cat_ids (Sequence[int]): Detector labels kept as people (0 on COCO).
        score_thr (float): Boxes with a lower score are dropped. Defaults to 0.
        batch_size (int): Frames per detector call. Defaults to 4.
        num_keypoints (int): Keypoints per person in the annotation file. Defaults to 17.

    Returns:
        list[dict]: ``{'image_id', 'bbox': [x, y, w, h], 'score', 'category_id': 1}`` per
        box, frames in annotation order.

    Raises:
        FileNotFoundError: A listed frame that is not on disk (naming it and the field).
    """
    from mmdet.apis import inference_detector

    data_root = default_data_root(ann_file) if data_root is None else data_root
    frames = []
    for video in load_video_annotations(ann_file, num_keypoints, bad_annotations=[]).values():
        for number in sorted(video.frames):
            frame = video.frames[number]
            path = osp.join(data_root, frame.image['file_name'])
            if not osp.isfile(path):
                raise FileNotFoundError(f'{frame.ann_file}: frame file_name='
                                        f'{frame.image["file_name"]} (image id '
                                        f'{frame.image["id"]}) is not at {path}')
            frames.append((int(frame.image['id']), path))
    keep = set(int(cat_id) for cat_id in cat_ids)
    detections = []
    for start in range(0, len(frames), batch_size):
        batch = frames[start:start + batch_size]
        results = inference_detector(detector, [path for _, path in batch])
        for (image_id, _), result in zip(batch, results):
            pred = result.pred_instances.cpu().numpy()
            for box, score, label in zip(pred.bboxes, pred.scores, pred.labels):
                if int(label) not in keep or score < score_thr:
                    continue
                x1, y1, x2, y2 = (float(v) for v in box)
                detections.append(dict(
                    image_id=image_id, bbox=[round(v, 3) for v in (x1, y1, x2 - x1, y2 - y1)],
                    score=round(float(score), 5), category_id=PERSON_CATEGORY_ID))
    return detections


def write_detections(detections: List[Dict], out_file: str) -> None:
    """Write detections as json, atomically (readers never see half a file)."""
    atomic_write_bytes(json.dumps(detections).encode(), out_file)
