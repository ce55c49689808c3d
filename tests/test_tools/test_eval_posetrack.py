"""Command-line checks of tools/eval_posetrack.py (run as a subprocess)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / 'tools' / 'eval_posetrack.py'
KEYPOINT_NAMES = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
RESULT_KEYS = ['Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle', 'Total']
VIDEOS = ('000001_mpii_test.json', '000002_mpii_test.json')


def _keypoints(x0: float) -> list:
    """15 joints 40 px apart, ears unannotated (0, 0, 0)."""
    kpts = []
    for j in range(17):
        kpts += [0, 0, 0] if j in (3, 4) else [x0 + 40 * (j % 5), 40 * (j // 5), 1]
    return kpts


def _video(annotations: list) -> dict:
    return dict(categories=[dict(id=1, name='person', keypoints=KEYPOINT_NAMES)],
                images=[dict(id=1, file_name='images/val/v/000000.jpg')],
                annotations=annotations)


def _make_data(root: Path, with_occluded: bool = False) -> tuple:
    """GT dir with two videos of two people and the GT itself as predictions."""
    gt_dir, pred_dir = root / 'gt', root / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    for name in VIDEOS:
        gt, pred = [], []
        for track_id, x0 in enumerate((0, 1000)):
            ann = dict(image_id=1, track_id=track_id, keypoints=_keypoints(x0),
                       bbox_head=[0, 0, 30, 40])
            if with_occluded:
                ann['occluded'] = [1 if j == 9 else 0 for j in range(17)]  # left wrist
            gt.append(ann)
            pred.append(dict(image_id=1, track_id=track_id, keypoints=_keypoints(x0),
                             scores=[0.9 - 0.1 * track_id] * 17))
        (gt_dir / name).write_text(json.dumps(_video(gt)))
        (pred_dir / name).write_text(json.dumps(_video(pred)))
    return gt_dir, pred_dir


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)


def test_prints_table_and_writes_json(tmp_path):
    gt_dir, pred_dir = _make_data(tmp_path)
    out = tmp_path / 'out' / 'metrics.json'
    proc = _run(gt_dir, pred_dir, '--out', out)
    assert proc.returncode == 0, proc.stderr
    assert '& Head & Shou & Elb  & Wri  & Hip  & Knee & Ankl & Total\\\\' in proc.stdout
    assert '&100.0 &100.0 &100.0 &100.0 &100.0 &100.0 &100.0 &100.0 \\\\' in proc.stdout
    metrics = json.loads(out.read_text())
    assert list(metrics) == RESULT_KEYS + ['per_joint']
    assert all(metrics[key] == 100.0 for key in RESULT_KEYS)
    assert len(metrics['per_joint']) == 15
    assert 'left_ear' not in metrics['per_joint']


def test_occluded_subset_writes_null_for_joints_without_subset_gt(tmp_path):
    gt_dir, pred_dir = _make_data(tmp_path, with_occluded=True)
    out = tmp_path / 'metrics.json'
    proc = _run(gt_dir, pred_dir, '--subset', 'occluded', '--out', out)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(out.read_text())
    assert metrics['per_joint']['left_wrist'] == 100.0
    assert metrics['per_joint']['nose'] is None
    assert metrics['Wrist'] == 100.0 and metrics['Total'] == 100.0
    assert metrics['Head'] is None


@pytest.mark.parametrize('missing', ['gt', 'pred'])
def test_missing_directory_exits_2(tmp_path, missing):
    gt_dir, pred_dir = _make_data(tmp_path)
    args = [tmp_path / 'nope', pred_dir] if missing == 'gt' else [gt_dir, tmp_path / 'nope']
    proc = _run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'nope' in lines[0]
    assert proc.stdout == ''


def test_bad_keypoints_exit_2_naming_the_file(tmp_path):
    gt_dir, pred_dir = _make_data(tmp_path)
    pred_file = pred_dir / VIDEOS[1]
    data = json.loads(pred_file.read_text())
    data['annotations'][1]['keypoints'] = data['annotations'][1]['keypoints'][:48]
    pred_file.write_text(json.dumps(data))
    proc = _run(gt_dir, pred_dir)
    assert proc.returncode == 2
    assert proc.stderr.startswith('error: ')
    assert str(pred_file) in proc.stderr and 'annotations[1].keypoints' in proc.stderr


def test_usage_error_exits_2(tmp_path):
    proc = _run(tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith('error: ') and len(proc.stderr.strip().splitlines()) == 1


def test_empty_predictions_warn_on_stderr(tmp_path):
    gt_dir, pred_dir = _make_data(tmp_path)
    (pred_dir / VIDEOS[0]).write_text(json.dumps(_video([])))
    proc = _run(gt_dir, pred_dir)
    assert proc.returncode == 0
    assert f'warning: {pred_dir / VIDEOS[0]}: empty predictions' in proc.stderr
    assert '& 50.0 \\\\' in proc.stdout  # half of the people are missed


@pytest.mark.parametrize('field', ['scores', 'keypoints'])
def test_non_finite_predictions_are_refused(tmp_path, field):
    """Issue 14 (5): NaN/inf in a prediction file: one error line naming file, image and
    annotation (a NaN score would otherwise rank above every real score)."""
    gt_dir, pred_dir = _make_data(tmp_path)
    path = pred_dir / VIDEOS[1]
    data = json.loads(path.read_text())
    data['annotations'][1][field][5] = float('nan') if field == 'scores' else float('inf')
    path.write_text(json.dumps(data))  # json writes NaN / Infinity
    proc = _run(gt_dir, pred_dir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith('error:') and len(proc.stderr.splitlines()) == 1
    assert str(path) in proc.stderr and 'image 1' in proc.stderr
    assert 'annotations[1]' in proc.stderr and f'"{field}"' in proc.stderr
