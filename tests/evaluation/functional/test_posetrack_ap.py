"""Hand-computed checks of the built-in PoseTrack18 AP (poseval protocol).

Every synthetic person below has its 15 evaluated joints on a 40 px grid (ears unannotated)
and a ``bbox_head`` of 30 x 40: head size = 0.6 * 50 = 30, so a joint is correct within
0.5 * 30 = 15 px and a joint of one person never matches another joint.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from stdpose_mm.evaluation.functional.posetrack_ap import (
    EVAL_JOINT_NAMES,
    MISSING_SCORE,
    POSETRACK18_KEYPOINT_NAMES,
    PoseTrackFormatError,
    PoseTrackFormatWarning,
    PoseTrackPeople,
    average_precision,
    evaluate_posetrack,
    format_ap_table,
    match_frame,
    points_in_polygon,
    voc_ap,
)

SAMPLE_ROOT = Path(__file__).resolve().parents[3].parent / 'shared' / 'data' / 'posetrack18_sample'
EARS = (3, 4)  # indices of left_ear / right_ear in the 17 PoseTrack18 keypoints
HEAD_BOX = [0, 0, 30, 40]
GROUPS = ('Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle')
VIDEO = '000001_mpii_test.json'


def kpt(name: str) -> int:
    return POSETRACK18_KEYPOINT_NAMES.index(name)


def make_pose(x0: float, y0: float = 0.0) -> np.ndarray:
    """(17, 3) keypoints: the 15 evaluated joints 40 px apart, ears all-zero (unannotated)."""
    pose = np.zeros((17, 3))
    for j in range(17):
        if j not in EARS:
            pose[j] = [x0 + 40 * (j % 5), y0 + 40 * (j // 5), 1]
    return pose


def gt_ann(image_id: int, pose: np.ndarray, track_id: int = 0, **extra) -> dict:
    return dict(image_id=image_id, track_id=track_id, keypoints=pose.reshape(-1).tolist(),
                bbox_head=list(HEAD_BOX), **extra)


def pred_ann(image_id: int, pose: np.ndarray, score: float, track_id: int = 0) -> dict:
    return dict(image_id=image_id, track_id=track_id, keypoints=pose.reshape(-1).tolist(),
                scores=[float(score)] * 17, score=float(score))


def video(annotations: list, image_ids=(1, ), regions: dict = None) -> dict:
    images = []
    for image_id in image_ids:
        image = dict(id=image_id, file_name=f'images/val/000001_mpii_test/{image_id:06d}.jpg')
        if regions and image_id in regions:
            image['ignore_regions_x'] = [[x for x, _ in poly] for poly in regions[image_id]]
            image['ignore_regions_y'] = [[y for _, y in poly] for poly in regions[image_id]]
        images.append(image)
    categories = [dict(id=1, name='person', keypoints=list(POSETRACK18_KEYPOINT_NAMES))]
    return dict(categories=categories, images=images, annotations=annotations)


def evaluate(gt_anns, pred_anns, image_ids=(1, ), regions=None, **kwargs) -> dict:
    return evaluate_posetrack({VIDEO: video(gt_anns, image_ids, regions)},
                              {VIDEO: video(pred_anns, image_ids)}, **kwargs)


def assert_all(result: dict, value: float) -> None:
    for key in GROUPS + ('Total', ):
        assert result[key] == pytest.approx(value), key
    assert len(result['per_joint']) == 15
    for name, ap in result['per_joint'].items():
        assert ap == pytest.approx(value), name


def test_perfect_predictions_score_100():
    gt = [gt_ann(1, make_pose(0), 0), gt_ann(1, make_pose(1000), 1),
          gt_ann(2, make_pose(0), 0), gt_ann(2, make_pose(1000), 1)]
    pred = [pred_ann(1, make_pose(1000), 0.3, 0), pred_ann(1, make_pose(0), 0.9, 1),
            pred_ann(2, make_pose(0), 0.6, 0), pred_ann(2, make_pose(1000), 0.2, 1)]
    result = evaluate(gt, pred, image_ids=(1, 2))
    assert_all(result, 100.0)
    assert set(result['per_joint']) == set(EVAL_JOINT_NAMES)


def test_missed_person_halves_recall():
    # Per joint: 1 TP for 2 GT -> precision 1 up to recall 0.5 -> AP = 0.5.
    gt = [gt_ann(1, make_pose(0), 0), gt_ann(1, make_pose(1000), 1)]
    pred = [pred_ann(1, make_pose(0), 0.9)]
    assert_all(evaluate(gt, pred), 50.0)


def test_high_scored_false_positive_lowers_ap():
    gt = [gt_ann(1, make_pose(0), 0), gt_ann(1, make_pose(1000), 1)]
    tps = [pred_ann(1, make_pose(0), 0.8, 0), pred_ann(1, make_pose(1000), 0.6, 1)]
    # Ranked TP (0.8), FP (0.7), TP (0.6) with 2 GT: precision 1, 1/2, 2/3 at recall
    # 0.5, 0.5, 1 -> AP = 0.5 * 1 + 0.5 * 2/3.
    result = evaluate(gt, tps + [pred_ann(1, make_pose(3000), 0.7, 2)])
    assert_all(result, 100 * (0.5 + 0.5 * 2 / 3))
    # The same false positive ranked last costs nothing (all-point interpolation).
    assert_all(evaluate(gt, tps + [pred_ann(1, make_pose(3000), 0.5, 2)]), 100.0)


def test_joints_in_ignore_region_are_removed():
    gt_pose = make_pose(0)
    wrist = gt_pose[kpt('left_wrist'), :2].copy()
    pred_pose = gt_pose.copy()
    pred_pose[kpt('left_wrist'), :2] = wrist + [35, 15]  # 38 px off, inside the region too
    regions = {1: [
        [(wrist[0] - 20, wrist[1] - 20), (wrist[0] + 40, wrist[1] - 20),
         (wrist[0] + 40, wrist[1] + 20), (wrist[0] - 20, wrist[1] + 20)],
        [(2000, 2000), (2300, 2000), (2300, 2200), (2000, 2200)],
    ]}
    # B keeps a left wrist outside the regions (a joint type with neither GT nor prediction
    # would get poseval's AP 0).
    gt = [gt_ann(1, gt_pose, 0), gt_ann(1, make_pose(1000), 1)]
    # A false positive whose joints all lie in the second region, scored above the TPs.
    pred = [pred_ann(1, pred_pose, 0.5, 0), pred_ann(1, make_pose(1000), 0.6, 1),
            pred_ann(1, make_pose(2050, 2020), 0.9, 2)]
    # With the regions: no missed GT wrist, no wrong wrist, no false positive.
    assert_all(evaluate(gt, pred, regions=regions), 100.0)
    # Without: FP .9, TP .6, TP .5 for 2 GT -> precision 0, 1/2, 2/3 -> AP 2/3 per joint;
    # left wrist: FP .9, TP .6, FP .5 (A's wrong wrist) -> precision 0, 1/2 -> AP 1/4.
    control = evaluate(gt, pred)
    assert control['per_joint']['left_wrist'] == pytest.approx(25.0)
    assert control['per_joint']['right_wrist'] == pytest.approx(100 * 2 / 3)
    assert control['Wrist'] == pytest.approx((100 * 2 / 3 + 25.0) / 2)
    assert control['Total'] == pytest.approx((14 * 100 * 2 / 3 + 25.0) / 15)


def test_points_in_polygon_excludes_boundary():
    square_x, square_y = np.array([0, 10, 10, 0]), np.array([0, 0, 10, 10])
    points = np.array([[5, 5], [10, 5], [0, 0], [5, 10.0], [11, 5], [9.999, 0.001]])
    inside = points_in_polygon(points, square_x, square_y)
    assert inside.tolist() == [True, False, False, False, False, True]
    # Self-intersecting "bow tie": even-odd rule, the crossing point is on the boundary.
    bow_x, bow_y = np.array([0, 10, 10, 0]), np.array([0, 10, 0, 10])
    points = np.array([[8, 5], [2, 5], [5, 8], [5, 5]])
    assert points_in_polygon(points, bow_x, bow_y).tolist() == [True, True, False, False]
    # Degenerate polygons contain nothing.
    assert not points_in_polygon(np.array([[0, 0]]), np.array([0, 1]), np.array([0, 1])).any()


def test_matching_is_not_greedy_by_score():
    """Each prediction keeps its best GT, each GT then takes the highest PCK (not score).

    pred 1 (score 0.9): 9 joints on A, 6 on B -> PCK 0.6 / 0.4, keeps A.
    pred 2 (score 0.5): 12 joints on A, 3 on B -> PCK 0.8 / 0.2, keeps A.
    A takes pred 2 (0.8 > 0.6); B has nothing left. A greedy matcher by score would match
    pred 1 to A and pred 2 to B instead.
    """
    pose_a, pose_b = make_pose(0), make_pose(1000)
    joints = [j for j in range(17) if j not in EARS]
    on_b_pred2 = [kpt('left_knee'), kpt('left_ankle'), kpt('right_ankle')]
    pred1, pred2 = pose_a.copy(), pose_a.copy()
    pred1[joints[9:]] = pose_b[joints[9:]]
    pred2[on_b_pred2] = pose_b[on_b_pred2]
    gt = [gt_ann(1, pose_a, 0), gt_ann(1, pose_b, 1)]
    pred = [pred_ann(1, pred1, 0.9, 0), pred_ann(1, pred2, 0.5, 1)]
    result = evaluate(gt, pred)
    # pred 1 is unmatched: 15 FPs at 0.9. pred 2 (on A): TP at 0.5 where it lies on A
    # -> precision 0, 1/2 at recall 0, 1/2 -> AP 25; FP on the 3 joints it put on B -> 0.
    for name, ap in result['per_joint'].items():
        expected = 0.0 if POSETRACK18_KEYPOINT_NAMES.index(name) in on_b_pred2 else 25.0
        assert ap == pytest.approx(expected), name
    assert result['Knee'] == pytest.approx(12.5)
    assert result['Ankle'] == 0.0
    assert result['Total'] == pytest.approx(12 * 25.0 / 15)

    # The same decision from match_frame directly (poseval joint order).
    def people(poses):
        order = [POSETRACK18_KEYPOINT_NAMES.index(n) for n in EVAL_JOINT_NAMES]
        xy = np.stack([p[order, :2] for p in poses])
        return PoseTrackPeople(xy=xy, valid=np.ones(xy.shape[:2], dtype=bool),
                               scores=np.ones(xy.shape[:2]),
                               subset=np.zeros(xy.shape[:2], dtype=bool),
                               head_size=np.full(len(poses), 30.0), sources=[''] * len(poses))

    pred_to_gt, _ = match_frame(people([pose_a, pose_b]), people([pred1, pred2]))
    assert pred_to_gt.tolist() == [-1, 0]


def test_head_size_threshold_is_inclusive():
    gt = [gt_ann(1, make_pose(0))]
    on_threshold = make_pose(0)
    on_threshold[:, :2] += [9, 12]  # exactly 15 px = 0.5 x head size 30
    assert_all(evaluate(gt, [pred_ann(1, on_threshold, 0.9)]), 100.0)
    beyond = make_pose(0)
    beyond[:, :2] += [9, 13]  # 15.8 px: every joint wrong -> PCK 0, unmatched
    assert_all(evaluate(gt, [pred_ann(1, beyond, 0.9)]), 0.0)


def test_frames_without_gt_people_are_not_evaluated():
    gt = [gt_ann(1, make_pose(0))]
    pred = [pred_ann(1, make_pose(0), 0.5), pred_ann(2, make_pose(500), 0.9)]
    assert_all(evaluate(gt, pred, image_ids=(1, 2)), 100.0)


def test_missing_scores_rank_last():
    gt = [gt_ann(1, make_pose(0))]
    no_scores = pred_ann(1, make_pose(0), 0.0)
    del no_scores['scores']
    # The TP gets poseval's fallback score -9999, below the FP at 0.1 -> AP 50.
    assert MISSING_SCORE == -9999
    assert_all(evaluate(gt, [no_scores, pred_ann(1, make_pose(3000), 0.1, 1)]), 50.0)


def test_keypoints_are_mapped_by_name():
    order = list(range(17))[::-1]
    pred = video([pred_ann(1, make_pose(0)[order], 0.9)])
    pred['categories'][0]['keypoints'] = [POSETRACK18_KEYPOINT_NAMES[i] for i in order]
    result = evaluate_posetrack({VIDEO: video([gt_ann(1, make_pose(0))])}, {VIDEO: pred})
    assert_all(result, 100.0)


def test_occluded_subset():
    occluded = [0] * 17
    occluded[kpt('left_wrist')] = occluded[kpt('right_wrist')] = 1
    pose_a, pose_b = make_pose(0), make_pose(1000)
    gt = [gt_ann(1, pose_a, 0, occluded=occluded), gt_ann(1, pose_b, 1, occluded=[0] * 17)]
    pred_b = pose_b.copy()
    for name in ('left_wrist', 'right_wrist'):
        pred_b[kpt(name), :2] += 100  # wrong wrists, still matched to B by the other joints
    pred = [pred_ann(1, make_pose(3000), 0.95, 0), pred_ann(1, pose_a, 0.9, 1),
            pred_ann(1, pred_b, 0.8, 2)]
    full = evaluate(gt, pred)
    # Wrists: FP .95, TP .9, FP .8 with 2 GT -> AP 0.5 * 0.5. Others: FP, TP, TP -> 2/3.
    assert full['Wrist'] == pytest.approx(25.0)
    assert full['Hip'] == pytest.approx(100 * 2 / 3)
    sub = evaluate(gt, pred, subset='occluded')
    # Only A's wrists are positives; B's annotated, non-occluded wrists make pred B's wrists
    # ignored; the unmatched FP still counts: FP .95, TP .9 with 1 GT -> AP 50.
    assert sub['per_joint']['left_wrist'] == pytest.approx(50.0)
    assert sub['per_joint']['right_wrist'] == pytest.approx(50.0)
    assert sub['Wrist'] == pytest.approx(50.0)
    assert sub['Total'] == pytest.approx(50.0)
    for group in ('Head', 'Shoulder', 'Elbow', 'Hip', 'Knee', 'Ankle'):
        assert math.isnan(sub[group])
    with pytest.raises(PoseTrackFormatError, match='occluded'):
        evaluate([gt_ann(1, pose_a)], pred, subset='occluded')


def test_ap_conventions():
    assert voc_ap(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == pytest.approx(1.0)
    assert average_precision([], [], 3) == 0.0  # no prediction: 0, as poseval
    assert math.isnan(average_precision([0.5], [0], 0))  # predictions but no GT: NaN
    # A joint whose GT is all inside ignore regions has NaN AP and is left out of Total.
    pose = make_pose(0)
    regions = {1: [[(150, 30), (170, 30), (170, 50), (150, 50)]]}  # around left_wrist only
    pred_pose = pose.copy()
    pred_pose[kpt('left_wrist'), :2] += 300  # outside: a left-wrist FP without any GT
    result = evaluate([gt_ann(1, pose)], [pred_ann(1, pred_pose, 0.9)], regions=regions)
    assert math.isnan(result['per_joint']['left_wrist'])
    assert math.isnan(result['Wrist'])
    assert result['Total'] == pytest.approx(100.0)


def test_format_ap_table_matches_poseval():
    result = dict(Head=100.0, Shoulder=87.25, Elbow=5.0, Wrist=0.0, Hip=math.nan, Knee=12.34,
                  Ankle=1.05, Total=50.0, per_joint={})
    header, row = format_ap_table(result).split('\n')
    assert header == '& Head & Shou & Elb  & Wri  & Hip  & Knee & Ankl & Total\\\\'
    assert row == '&100.0 & 87.2 &  5.0 &  0.0 &  nan & 12.3 &  1.1 & 50.0 \\\\'


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_wrong_keypoint_length_names_file_and_field(tmp_path):
    _write(tmp_path / 'gt' / VIDEO, video([gt_ann(1, make_pose(0))]))
    bad = pred_ann(1, make_pose(0), 0.9)
    bad['keypoints'] = bad['keypoints'][:50]
    pred_file = _write(tmp_path / 'pred' / VIDEO, video([bad]))
    with pytest.raises(PoseTrackFormatError) as info:
        evaluate_posetrack(tmp_path / 'gt', tmp_path / 'pred')
    message = str(info.value)
    assert str(pred_file) in message
    assert 'annotations[0].keypoints' in message and '51' in message


def test_empty_predictions_warn_and_score_zero(tmp_path):
    _write(tmp_path / 'gt' / VIDEO, video([gt_ann(1, make_pose(0))]))
    _write(tmp_path / 'pred' / VIDEO, video([]))
    with pytest.warns(PoseTrackFormatWarning, match=f'{VIDEO}: empty predictions'):
        result = evaluate_posetrack(tmp_path / 'gt', tmp_path / 'pred')
    assert_all(result, 0.0)


def test_unknown_image_id_raises(tmp_path):
    _write(tmp_path / 'gt' / VIDEO, video([gt_ann(1, make_pose(0))]))
    _write(tmp_path / 'pred' / VIDEO, video([pred_ann(7, make_pose(0), 0.9)]))
    with pytest.raises(PoseTrackFormatError, match=r'pred.*annotations\[0\]\.image_id = 7'):
        evaluate_posetrack(tmp_path / 'gt', tmp_path / 'pred')


def test_malformed_or_missing_files_raise(tmp_path):
    _write(tmp_path / 'gt' / VIDEO, video([gt_ann(1, make_pose(0))]))
    _write(tmp_path / 'pred' / VIDEO, '{"images": [')
    with pytest.raises(PoseTrackFormatError, match='malformed json'):
        evaluate_posetrack(tmp_path / 'gt', tmp_path / 'pred')
    (tmp_path / 'other').mkdir()
    _write(tmp_path / 'other' / 'x.json', video([]))
    with pytest.warns(PoseTrackFormatWarning, match='without a GT video'):
        with pytest.raises(PoseTrackFormatError, match=f'prediction file {VIDEO}'):
            evaluate_posetrack(tmp_path / 'gt', tmp_path / 'other')
    with pytest.raises(PoseTrackFormatError, match='does not exist'):
        evaluate_posetrack(tmp_path / 'gt', tmp_path / 'missing')


@pytest.mark.skipif(not (SAMPLE_ROOT / 'annotations' / 'val').is_dir(),
                    reason='PoseTrack18 sample data not available')
def test_real_sample_gt_as_predictions_scores_100(tmp_path):
    gt_dir = SAMPLE_ROOT / 'annotations' / 'val'
    for gt_file in sorted(gt_dir.glob('*.json')):
        data = json.loads(gt_file.read_text())
        for ann in data['annotations']:
            kpts = np.array(ann['keypoints'], dtype=float).reshape(17, 3)
            ann['scores'] = (kpts != 0).any(axis=1).astype(float).tolist()
        _write(tmp_path / gt_file.name, data)
    result = evaluate_posetrack(gt_dir, tmp_path)
    assert_all(result, 100.0)
    # A perturbed copy scores less.
    for pred_file in tmp_path.glob('*.json'):
        data = json.loads(pred_file.read_text())
        for ann in data['annotations']:
            kpts = np.array(ann['keypoints'], dtype=float).reshape(17, 3)
            kpts[(kpts != 0).any(axis=1), :2] += 25.0
            ann['keypoints'] = kpts.reshape(-1).tolist()
        _write(pred_file, data)
    assert evaluate_posetrack(gt_dir, tmp_path)['Total'] < 100.0
