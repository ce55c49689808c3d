"""Scoring video-inference predictions with the built-in PoseTrack metric.

:func:`evaluate_video_predictions` feeds the per-frame data samples of
:class:`~stdpose_mm.apis.VideoPoseInferencer` (``return_datasamples=True``) through
:class:`~stdpose_mm.evaluation.PoseTrackMetric` exactly as ``tools/test.py`` feeds the
model's: one entry per person with its keypoints, keypoint scores, box score and box scale
(same rescoring, same OKS NMS), written as one PoseTrack18 json per GT video under
``dirname(outfile_prefix)`` and scored with the poseval-equivalent AP. Frames are matched to
the GT images by their folder and file name (``<video>/<frame>.jpg``), so the input must be a
folder of the GT video's frames (or a list of their paths).
"""
import os
from typing import Dict, Iterable, Optional, Tuple

import numpy as np
from mmengine.fileio import load
from mmpose.structures import PoseDataSample

from ...evaluation.metrics import PoseTrackMetric


def _frame_key(path: str) -> Tuple[str, str]:
    """``(video folder, file name)`` of a frame path."""
    folder, name = os.path.split(os.path.normpath(path))
    return os.path.basename(folder), name


def gt_image_ids(gt_folder: str) -> Dict[Tuple[str, str], int]:
    """PoseTrack image id of every GT frame, by ``(video folder, file name)``.

    Args:
        gt_folder (str): Folder of per-video PoseTrack18 GT jsons.

    Returns:
        dict: ``(video folder, file name)`` -> image id.
    """
    ids = {}
    for name in sorted(os.listdir(gt_folder)):
        if name.endswith('.json'):
            for image in load(os.path.join(gt_folder, name))['images']:
                ids[_frame_key(image['file_name'])] = image['id']
    return ids


def evaluate_video_predictions(predictions: Iterable[PoseDataSample],
                               ann_file: str,
                               dataset_meta: dict,
                               outfile_prefix: Optional[str] = None,
                               **metric_kwargs) -> Dict[str, float]:
    """PoseTrack AP of video-inference predictions, by the metric ``tools/test.py`` uses.

    Args:
        predictions (Iterable[PoseDataSample]): One data sample per frame (the inferencer's
            ``predictions[0]`` with ``return_datasamples=True``), with ``img_path``,
            ``pred_instances`` (``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K),
            ``bbox_scores`` (N,)) and ``gt_instances.bbox_scales`` (N, 2).
        ann_file (str): The evaluator's ``ann_file`` (merged json or GT folder).
        dataset_meta (dict): The model's ``dataset_meta`` (sigmas for the OKS NMS).
        outfile_prefix (str, optional): Where the PoseTrack prediction jsons go
            (``dirname(outfile_prefix)``); a temporary folder when None.
        **metric_kwargs: Other :class:`PoseTrackMetric` arguments (``score_mode``,
            ``nms_mode``, ...), as in the config's ``test_evaluator``.

    Returns:
        dict: The metric's results (``posetrack/Total AP``, per-joint APs, ...).

    Raises:
        KeyError: A frame that is in no GT video (naming its path).
    """
    metric = PoseTrackMetric(ann_file=ann_file, outfile_prefix=outfile_prefix,
                             **metric_kwargs)
    metric.dataset_meta = dataset_meta
    image_ids = gt_image_ids(metric.gt_folder())
    entries = []
    for sample in predictions:
        key = _frame_key(sample.img_path)
        if key not in image_ids:
            raise KeyError(f'frame {sample.img_path} is in no GT video of '
                           f'{metric.gt_folder()} (looked up as {"/".join(key)})')
        pred = sample.pred_instances
        if not len(pred.keypoints):  # nobody detected: no crop, so no gt_instances either
            continue
        scales = np.asarray(sample.gt_instances.bbox_scales, np.float32).reshape(-1, 2)
        for index in range(len(pred.keypoints)):
            entries.append(dict(
                id=len(entries), img_id=image_ids[key], category_id=1,
                pred_instances=dict(keypoints=pred.keypoints[index:index + 1],
                                    keypoint_scores=pred.keypoint_scores[index:index + 1],
                                    bbox_scores=np.asarray(pred.bbox_scores)[index:index + 1]),
                gt_instances=dict(bbox_scales=scales[index:index + 1])))
    metric.process([], entries)
    return metric.evaluate(len(entries))
