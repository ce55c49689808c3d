"""PoseTrackMetric on the real PoseTrack18 sample, fed like MMPose feeds its metrics."""
import json
import shutil
from pathlib import Path

import mmpose
import numpy as np
import pytest
from mmengine.fileio import load
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from stdpose_mm.evaluation.metrics.posetrack_metric import PoseTrackMetric

SAMPLE_ROOT = Path(__file__).resolve().parents[3].parent / 'shared' / 'data' / 'posetrack18_sample'
ANN_FILE = SAMPLE_ROOT / 'annotations' / 'test_posetrack18_val.json'
VIDEOS = ('003418_mpii_test.json', '009473_mpii_test.json', '012834_mpii_test.json')
NAMES = ('Head AP', 'Shou AP', 'Elb AP', 'Wri AP', 'Hip AP', 'Knee AP', 'Ankl AP', 'Total AP')

pytestmark = pytest.mark.skipif(not ANN_FILE.is_file(),
                                reason='PoseTrack18 sample data not available')


@pytest.fixture(scope='module')
def dataset_meta() -> dict:
    meta_file = (Path(mmpose.__file__).parent / '.mim' / 'configs' / '_base_' / 'datasets' /
                 'posetrack18.py')
    return parse_pose_metainfo(dict(from_file=str(meta_file)))


def topdown_batches(ann_file: Path, shift: float = 0.0) -> list:
    """One (data_batch, data_samples) per GT person, GT keypoints as predictions.

    Keypoint scores are the GT visibilities (0 for unlabelled joints, which therefore stay
    (0, 0, 0) and do not exist); ``shift`` moves the labelled joints by that many pixels.
    """
    batches = []
    for ann in load(str(ann_file))['annotations']:
        kpts = np.array(ann['keypoints'], dtype=np.float32).reshape(1, -1, 3)
        labelled = kpts[..., 2] > 0
        kpts[..., :2][labelled] += shift
        w, h = ann['bbox'][2], ann['bbox'][3]
        gt_instances = {
            'bbox_scales': np.array([w * 1.25, h * 1.25]).reshape(-1, 2),
            'bboxes': np.array(ann['bbox'], dtype=np.float32).reshape(-1, 4),
            'bbox_scores': np.ones((1, ), dtype=np.float32),
        }
        pred_instances = {'keypoints': kpts[..., :2], 'keypoint_scores': kpts[..., 2]}
        data_sample = {'id': ann['id'], 'img_id': ann['image_id'],
                       'gt_instances': gt_instances, 'pred_instances': pred_instances}
        batches.append(([{'inputs': None}], [data_sample]))
    return batches


def run_metric(metric: PoseTrackMetric, dataset_meta: dict, batches: list) -> dict:
    metric.dataset_meta = dataset_meta
    for data_batch, data_samples in batches:
        metric.process(data_batch, data_samples)
    return metric.evaluate(size=len(batches))


def test_gt_as_predictions_scores_100(tmp_path, dataset_meta):
    metric = PoseTrackMetric(ann_file=str(ANN_FILE), outfile_prefix=f'{tmp_path}/res',
                             score_mode='bbox', nms_mode='none')
    results = run_metric(metric, dataset_meta, topdown_batches(ANN_FILE))
    expected = {f'posetrack/{name}': 100.0 for name in NAMES}
    expected['posetrack/AP'] = 100.0
    assert results == pytest.approx(expected)
    # One prediction file per GT video, in the layout the official tool reads.
    for video in VIDEOS:
        pred = json.loads((tmp_path / video).read_text())
        gt = json.loads((SAMPLE_ROOT / 'annotations' / 'val' / video).read_text())
        assert [im['id'] for im in pred['images']] == [im['id'] for im in gt['images']]
        assert len(pred['annotations']) == len(gt['annotations'])
        assert len(pred['categories'][0]['keypoints']) == 17
        for index, ann in enumerate(pred['annotations']):
            assert ann['track_id'] == index  # one frame per video in the sample
            assert len(ann['keypoints']) == 51 and len(ann['scores']) == 17
            assert ann['scores'] == ann['keypoints'][2::3]


def test_perturbed_predictions_score_below_100(dataset_meta):
    metric = PoseTrackMetric(ann_file=str(ANN_FILE))  # temp dir, oks_nms, bbox_keypoint
    results = run_metric(metric, dataset_meta, topdown_batches(ANN_FILE, shift=20.0))
    assert 0.0 < results['posetrack/Total AP'] < 100.0
    assert results['posetrack/AP'] == results['posetrack/Total AP']
    assert not any(key.endswith('_occluded') for key in results)


def test_occluded_ap_when_gt_has_flags(tmp_path, dataset_meta):
    # Copy the sample and flag every labelled left wrist / right knee as occluded.
    ann_dir = tmp_path / 'annotations'
    shutil.copytree(SAMPLE_ROOT / 'annotations' / 'val', ann_dir / 'val')
    shutil.copy(ANN_FILE, ann_dir / ANN_FILE.name)
    for video in VIDEOS:
        path = ann_dir / 'val' / video
        data = json.loads(path.read_text())
        for ann in data['annotations']:
            labelled = [ann['keypoints'][3 * k + 2] > 0 for k in range(17)]
            ann['occluded'] = [int(labelled[k] and k in (9, 14)) for k in range(17)]
        path.write_text(json.dumps(data))
    metric = PoseTrackMetric(ann_file=str(ann_dir / ANN_FILE.name),
                             outfile_prefix=f'{tmp_path}/pred/res')
    results = run_metric(metric, dataset_meta, topdown_batches(ANN_FILE))
    assert results['posetrack/Total AP_occluded'] == pytest.approx(100.0)
    assert results['posetrack/Wri AP_occluded'] == pytest.approx(100.0)
    assert np.isnan(results['posetrack/Head AP_occluded'])  # no occluded head joint
    assert results['posetrack/Total AP'] == pytest.approx(100.0)


def test_format_only_and_arguments(tmp_path, dataset_meta):
    metric = PoseTrackMetric(ann_file=str(ANN_FILE), format_only=True,
                             outfile_prefix=f'{tmp_path}/res')
    assert run_metric(metric, dataset_meta, topdown_batches(ANN_FILE)) == {}
    assert sorted(p.name for p in tmp_path.glob('*.json')) == list(VIDEOS)
    with pytest.raises(ValueError, match='ann_file'):
        PoseTrackMetric()
    with pytest.raises(ValueError, match='score_mode'):
        PoseTrackMetric(ann_file=str(ANN_FILE), score_mode='invalid')
    with pytest.raises(ValueError, match='nms_mode'):
        PoseTrackMetric(ann_file=str(ANN_FILE), nms_mode='invalid')


def test_ann_file_may_be_the_folder_of_per_video_jsons(tmp_path, dataset_meta):
    """Issue 14 (1): PoseTrack21's layout, the dataset's ann_file folder given as is."""
    metric = PoseTrackMetric(ann_file=str(SAMPLE_ROOT / 'annotations' / 'val'),
                             outfile_prefix=f'{tmp_path}/res', score_mode='bbox',
                             nms_mode='none')
    results = run_metric(metric, dataset_meta, topdown_batches(ANN_FILE))
    assert results['posetrack/Total AP'] == pytest.approx(100.0)
    assert sorted(p.name for p in tmp_path.glob('*.json')) == list(VIDEOS)
    only_dir = PoseTrackMetric(ann_file=None, gt_dir=str(SAMPLE_ROOT / 'annotations' / 'val'),
                               score_mode='bbox', nms_mode='none')
    assert run_metric(only_dir, dataset_meta, topdown_batches(ANN_FILE))[
        'posetrack/Total AP'] == pytest.approx(100.0)


@pytest.mark.parametrize('field, value', [('keypoint_scores', np.nan),
                                          ('keypoints', np.inf)])
def test_non_finite_predictions_are_refused(dataset_meta, field, value):
    """Issue 14 (5): a NaN score would rank above every real score; refused by name."""
    from stdpose_mm.evaluation.functional import PoseTrackFormatError

    batches = topdown_batches(ANN_FILE)
    sample = batches[1][1][0]
    sample['img_path'] = 'images/val/009473_mpii_test/000000.jpg'
    sample['pred_instances'][field] = sample['pred_instances'][field].copy()
    sample['pred_instances'][field][0, 3] = value
    metric = PoseTrackMetric(ann_file=str(ANN_FILE))
    metric.dataset_meta = dataset_meta
    with pytest.raises(PoseTrackFormatError) as info:
        for data_batch, data_samples in batches:
            metric.process(data_batch, data_samples)
    message = str(info.value)
    assert sample['img_path'] in message and f'image {sample["img_id"]}' in message
    assert f'annotation {sample["id"]}' in message and field in message
