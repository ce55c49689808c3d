"""Video inference agrees with tools/test.py's path (the model's test_step on the dataset).

On a tiny synthetic val video, with the same random weights and the same boxes (ground truth,
then the val detections json), the inferencer's per-person keypoints equal those of
``model.test_step`` on ``PoseTrackVideoDataset`` samples, and the built-in PoseTrack metric
gives both the same AP.
"""
import glob
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, METRICS, MODELS

from stdpose_mm.apis import VideoPoseInferencer
from stdpose_mm.apis.inferencers import evaluate_video_predictions
from tests.conftest import REPO_ROOT

CONFIGS = {
    'stdpose': str(REPO_ROOT / 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'),
    'combined': str(REPO_ROOT / 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py'),
}
DET_THR = 0.4


@pytest.fixture(scope='module')
def val_set(tmp_path_factory):
    """Two synthetic val videos (7 frames, 2 people, occluders) and a GT-box detections json.

    Two videos: the val detections json covers both, as on PoseTrack.
    """
    from stdpose_mm.datasets.synthetic import generate_posetrack

    root = tmp_path_factory.mktemp('agreement')
    summary = generate_posetrack(str(root), num_videos={'val': 2}, num_frames=7,
                                 image_size=(192, 144), people_per_video=(2, 2),
                                 write_masks=False, seed=5)
    gt_dets = [dict(image_id=a['image_id'], bbox=a['bbox'], score=1., category_id=1)
               for a in json.loads(Path(summary['splits']['val']['ann_file']).read_text())[
                   'annotations']]
    gt_file = root / 'gt_boxes.json'
    gt_file.write_text(json.dumps(gt_dets))
    return dict(root=root, ann_file=summary['splits']['val']['ann_file'],
                det_file=summary['splits']['val']['det_file'], gt_boxes=str(gt_file),
                frames_dirs=sorted(glob.glob(str(root / 'images/val/*'))))


def _test_path(cfg, model, det_file, val_set):
    """tools/test.py's predictions: test_step on the dataset's samples, and their AP."""
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.update(data_root=str(val_set['root']), bbox_file=det_file,
                       filter_cfg=dict(bbox_score_thr=DET_THR), test_mode=True)
    dataset = DATASETS.build(dataset_cfg)
    metric = METRICS.build(dict(cfg.test_evaluator, ann_file=val_set['ann_file']))
    metric.dataset_meta = model.dataset_meta
    samples = []
    for start in range(0, len(dataset), 4):
        batch = pseudo_collate([dataset[i] for i in range(start, min(start + 4, len(dataset)))])
        outputs = model.test_step(batch)
        metric.process(batch, [output.to_dict() for output in outputs])
        samples += outputs
    return samples, metric.evaluate(len(dataset))


@pytest.mark.parametrize('model_name', sorted(CONFIGS))
@pytest.mark.parametrize('boxes', ['gt_boxes', 'det_file'])
def test_inferencer_agrees_with_test_step(val_set, model_name, boxes, tmp_path):
    cfg = Config.fromfile(CONFIGS[model_name])
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.eval()
    inferencer = VideoPoseInferencer(cfg, device='cpu')
    inferencer.model.load_state_dict(model.state_dict())
    model.dataset_meta = inferencer.model.dataset_meta
    with torch.no_grad():
        expected, expected_ap = _test_path(cfg, model, val_set[boxes], val_set)
    frames = [result['predictions'][0] for frames_dir in val_set['frames_dirs']
              for result in inferencer(frames_dir, bboxes=val_set[boxes],
                                       bbox_thr=DET_THR - 1e-6, return_datasamples=True)]
    assert len(frames) == 2 * 7

    got = {}  # (video/frame file, box) -> keypoints, scores
    for frame in frames:
        for box, keypoints, scores in zip(frame.pred_instances.bboxes,
                                          frame.pred_instances.keypoints,
                                          frame.pred_instances.keypoint_scores):
            got.setdefault('/'.join(frame.img_path.split('/')[-2:]), []).append(
                (box, keypoints, scores))
    assert sum(map(len, got.values())) == len(expected) > 0  # the same people
    for sample in expected:
        people = got['/'.join(sample.img_path.split('/')[-2:])]
        distance, (_, keypoints, scores) = min(
            ((np.abs(box - sample.pred_instances.bboxes[0]).max(), person)
             for person in people for box in person[:1]), key=lambda item: item[0])
        assert distance < 1e-2  # the same box
        np.testing.assert_allclose(keypoints, sample.pred_instances.keypoints[0], atol=1e-3)
        np.testing.assert_allclose(scores, sample.pred_instances.keypoint_scores[0], atol=1e-5)

    metrics = evaluate_video_predictions(
        frames, val_set['ann_file'], inferencer.model.dataset_meta,
        outfile_prefix=str(tmp_path / 'preds' / 'x'),
        **{k: v for k, v in cfg.test_evaluator.items() if k not in ('type', 'ann_file')})
    assert abs(metrics['posetrack/Total AP'] - expected_ap['posetrack/Total AP']) < 0.5
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == sorted(
        Path(p).name for p in glob.glob(str(val_set['root'] / 'annotations/val/*.json')))
