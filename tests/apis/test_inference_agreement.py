"""Video inference agrees with tools/test.py's path (the model's test_step on the dataset).

On a tiny synthetic val video, with the same random weights and the same boxes (ground truth,
then the val detections json), the inferencer's per-person keypoints equal those of
``model.test_step`` on ``PoseTrackVideoDataset`` samples, and the built-in PoseTrack metric
gives both the same AP.
"""
import glob
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from stdpose_mm.apis import VideoPoseInferencer
from stdpose_mm.apis.inferencers import evaluate_video_predictions
from stdpose_mm.apis.inferencers.agreement import gt_box_detections, predict_like_test_tool
from tests.conftest import REPO_ROOT

CONFIGS = {
    'stdpose': str(REPO_ROOT / 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'),
    'combined': str(REPO_ROOT / 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py'),
    # The inferencer caches backbone outputs: for UpsampledVisionTransformer, the upsampled maps.
    'combined-vit': str(REPO_ROOT / 'configs/cpu/stdpose-combined_tiny-vit_synthetic.py'),
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
    gt_file = gt_box_detections(summary['splits']['val']['ann_file'],
                                str(root / 'gt_boxes.json'))
    return dict(root=root, ann_file=summary['splits']['val']['ann_file'],
                det_file=summary['splits']['val']['det_file'], gt_boxes=str(gt_file),
                frames_dirs=sorted(glob.glob(str(root / 'images/val/*'))))


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
    cfg.test_dataloader.dataset.data_root = str(val_set['root'])
    cfg.test_evaluator.ann_file = val_set['ann_file']
    expected, expected_ap = predict_like_test_tool(cfg, model, val_set[boxes], DET_THR,
                                                  batch_size=4)
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
    moved_joints = 0
    for sample in expected:
        people = got['/'.join(sample.img_path.split('/')[-2:])]
        distance, (_, keypoints, scores) = min(
            ((np.abs(box - sample.pred_instances.bboxes[0]).max(), person)
             for person in people for box in person[:1]), key=lambda item: item[0])
        assert distance < 1e-2  # the same box
        np.testing.assert_allclose(scores, sample.pred_instances.keypoint_scores[0], atol=1e-5)
        # Untrained heatmaps are nearly flat: two maxima equal to float noise may swap
        # between batchings (the scores above still agree). Such a tie may move a joint;
        # a wrong transform or flip would move many.
        moved = np.abs(keypoints - sample.pred_instances.keypoints[0]).max(axis=-1) > 1e-3
        moved_joints += int(moved.sum())
    assert moved_joints <= max(1, 0.02 * len(expected) * 17), moved_joints

    metrics = evaluate_video_predictions(
        frames, val_set['ann_file'], inferencer.model.dataset_meta,
        outfile_prefix=str(tmp_path / 'preds' / 'x'),
        **{k: v for k, v in cfg.test_evaluator.items() if k not in ('type', 'ann_file')})
    assert abs(metrics['posetrack/Total AP'] - expected_ap['posetrack/Total AP']) < 0.5
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == sorted(
        Path(p).name for p in glob.glob(str(val_set['root'] / 'annotations/val/*.json')))


def test_agreement_tool_prints_both_paths(val_set, capsys):
    """tools/check_inference_agreement.py: same AP and keypoints from both paths, exit 0."""
    import sys
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    try:
        from check_inference_agreement import main
    finally:
        sys.path.remove(str(REPO_ROOT / 'tools'))

    config = CONFIGS['stdpose']
    checkpoint = val_set['root'] / 'random.pth'
    init_default_scope('mmpose')
    torch.manual_seed(0)
    torch.save({'state_dict': MODELS.build(Config.fromfile(config).model).state_dict()},
               checkpoint)
    assert main([config, str(checkpoint), '--data-root', str(val_set['root'])]) == 0
    table = capsys.readouterr().out
    test_ap, inferencer_ap = (float(line.split('|')[2]) for line in table.splitlines()
                              if line.startswith(('| tools/test.py', '| VideoPoseInferencer')))
    assert test_ap == inferencer_ap
    assert 'largest keypoint difference between the paths: 0.0000 px' in table


def test_frames_without_people_are_scored_not_refused(val_set):
    """A frame where the detector found nobody (no ``gt_instances``) counts as no prediction."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    cfg = Config.fromfile(CONFIGS['stdpose'])
    inferencer = VideoPoseInferencer(cfg, device='cpu')
    frames = [result['predictions'][0] for result in inferencer(
        val_set['frames_dirs'][0], bboxes=val_set['gt_boxes'], return_datasamples=True)]
    empty = PoseDataSample(metainfo=dict(img_path=frames[0].img_path))
    empty.pred_instances = InstanceData(keypoints=np.zeros((0, 17, 2), np.float32),
                                        keypoint_scores=np.zeros((0, 17), np.float32),
                                        bbox_scores=np.zeros(0, np.float32))
    metrics = evaluate_video_predictions([empty] + frames[1:], val_set['ann_file'],
                                         inferencer.model.dataset_meta)
    assert 0 <= metrics['posetrack/Total AP'] <= 100
