"""Does video inference give what ``tools/test.py`` gives? Both paths on one val set.

``tools/test.py`` runs ``model.test_step`` on :class:`PoseTrackVideoDataset` samples;
:class:`VideoPoseInferencer` tracks the people of each video and crops its own windows. With
the same weights and the same boxes both must give the same keypoints and the same AP
(``tests/apis/test_inference_agreement.py``; ``tools/check_inference_agreement.py`` with a
trained checkpoint).
"""
import json
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from .posetrack_output import evaluate_video_predictions
from .video_pose_inferencer import VideoPoseInferencer


def gt_box_detections(ann_file: str, out_file: str) -> str:
    """Write the GT boxes of ``ann_file`` as a detections json (score 1) for the inferencer.

    Args:
        ann_file (str): A PoseTrack18-layout merged json (``annotations`` with ``bbox``).
        out_file (str): Where to write the detections list.

    Returns:
        str: ``out_file``.
    """
    with open(ann_file) as f:
        annotations = json.load(f)['annotations']
    detections = [dict(image_id=a['image_id'], bbox=a['bbox'], score=1., category_id=1)
                  for a in annotations if a.get('bbox')]
    with open(out_file, 'w') as f:
        json.dump(detections, f)
    return out_file


def predict_like_test_tool(cfg: Config, model, bbox_file: Optional[str], det_thr: float,
                          batch_size: int = 8) -> Tuple[List, Dict[str, float]]:
    """``tools/test.py``'s predictions and AP: ``model.test_step`` over the test dataset.

    Args:
        cfg (Config): The model config (its ``test_dataloader`` and ``test_evaluator``).
        model (nn.Module): The pose estimator, in eval mode.
        bbox_file (str, optional): Detections json; None for the GT boxes.
        det_thr (float): Detection score threshold (``filter_cfg.bbox_score_thr``).
        batch_size (int): Samples per ``test_step``.

    Returns:
        tuple: The predicted data samples (one per person) and the metric's results.
    """
    import torch
    from mmpose.registry import DATASETS, METRICS

    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg.update(bbox_file=bbox_file, test_mode=True,
                       filter_cfg=dict(bbox_score_thr=det_thr) if bbox_file else None)
    dataset = DATASETS.build(dataset_cfg)
    metric = METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = model.dataset_meta
    samples = []
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            batch = pseudo_collate([dataset[i] for i in range(
                start, min(start + batch_size, len(dataset)))])
            outputs = model.test_step(batch)
            metric.process(batch, [output.to_dict() for output in outputs])
            samples += outputs
    return samples, metric.evaluate(len(dataset))


def inference_agreement(config: str, checkpoint: Optional[str] = None,
                        bbox_file: Optional[str] = None, det_thr: float = 0.4,
                        device: str = 'cpu',
                        cfg_options: Optional[dict] = None) -> Dict[str, object]:
    """AP of the test path and of the inferencer on the config's test set, same weights/boxes.

    Args:
        config (str): A video pose config (its ``test_dataloader`` names the videos).
        checkpoint (str, optional): Weights for both paths (random init when None).
        bbox_file (str, optional): Detections json; None: the GT boxes of the test set.
        det_thr (float): Detection score threshold for both paths.
        device (str): Torch device.
        cfg_options (dict, optional): Config overrides (e.g. another ``data_root``).

    Returns:
        dict: ``test_ap`` and ``inferencer_ap`` (``posetrack/Total AP``), ``people`` (how many
        person predictions each path made), ``max_keypoint_px`` (largest per-joint distance
        between the two paths' keypoints of the same person and frame).
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope('mmpose')
    inferencer = VideoPoseInferencer(cfg, weights=checkpoint, device=device)
    model = inferencer.model
    with tempfile.TemporaryDirectory() as tmp:
        ann_file = cfg.test_evaluator.ann_file
        boxes = bbox_file or gt_box_detections(ann_file, osp.join(tmp, 'gt_boxes.json'))
        expected, test_metrics = predict_like_test_tool(cfg, model, bbox_file, det_thr)
        video_dirs = sorted({osp.dirname(sample.img_path) for sample in expected})
        frames = [result['predictions'][0] for video_dir in video_dirs
                  for result in inferencer(video_dir, bboxes=boxes,
                                           bbox_thr=det_thr - 1e-6, return_datasamples=True)]
        inferencer_metrics = evaluate_video_predictions(
            frames, ann_file, model.dataset_meta, outfile_prefix=osp.join(tmp, 'preds', 'x'),
            **{k: v for k, v in cfg.test_evaluator.items() if k not in ('type', 'ann_file')})
    return dict(test_ap=test_metrics['posetrack/Total AP'],
                inferencer_ap=inferencer_metrics['posetrack/Total AP'],
                people=(len(expected), sum(len(f.pred_instances) for f in frames)),
                max_keypoint_px=_max_keypoint_distance(expected, frames))


def _max_keypoint_distance(expected: List, frames: List) -> float:
    """Largest joint distance between test-path people and the inferencer's same-box people."""
    by_frame = {}
    for frame in frames:
        by_frame.setdefault(osp.normpath(frame.img_path), []).append(frame.pred_instances)
    worst = 0.
    for sample in expected:
        box = sample.pred_instances.bboxes[0]
        candidates = [(np.abs(boxes - box).max(axis=1), keypoints)
                      for instances in by_frame.get(osp.normpath(sample.img_path), [])
                      for boxes, keypoints in [(instances.bboxes, instances.keypoints)]
                      if len(boxes)]
        if not candidates:
            return float('inf')  # a person the inferencer did not predict
        distance, keypoints = min(((d.min(), k[d.argmin()]) for d, k in candidates),
                                  key=lambda item: item[0])
        if distance > 1e-2:
            return float('inf')
        worst = max(worst, float(np.linalg.norm(
            keypoints - sample.pred_instances.keypoints[0], axis=-1).max()))
    return worst
