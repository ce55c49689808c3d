"""Tests of the synthetic PoseTrack18-format generator and its command-line tool."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from stdpose_mm.datasets.synthetic import KEYPOINT_NAMES, SKELETON, generate_posetrack

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_SAMPLE = REPO_ROOT.parent / 'shared' / 'data' / 'posetrack18_sample'
TOOL = REPO_ROOT / 'tools' / 'make_synthetic_posetrack.py'
PACKAGE_DIR = REPO_ROOT / 'stdpose_mm' / 'datasets' / 'synthetic'
WIDTH, HEIGHT = 160, 120
TINY = dict(num_videos={'train': 2, 'val': 2}, num_frames=6, image_size=(WIDTH, HEIGHT),
            label_stride=2, seed=0)
EARS = (KEYPOINT_NAMES.index('left_ear'), KEYPOINT_NAMES.index('right_ear'))


def _load(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def _video_files(root: Path, split: str) -> list[Path]:
    return sorted((root / 'annotations' / split).glob('*.json'))


def _keypoints(ann: dict[str, Any]) -> np.ndarray:
    return np.asarray(ann['keypoints'], dtype=np.float64).reshape(-1, 3)


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp('synthetic')
    return out_dir, generate_posetrack(out_dir, **TINY)


@pytest.fixture(scope='module')
def real_sample() -> Path:
    if not (REAL_SAMPLE / 'annotations' / 'val').is_dir():
        pytest.skip(f'real PoseTrack18 sample not found at {REAL_SAMPLE}')
    return REAL_SAMPLE


def _run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True,
                          timeout=120)


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(tiny_set, tmp_path):
    root, _ = tiny_set
    generate_posetrack(tmp_path / 'again', **TINY)
    first, second = _tree_bytes(root), _tree_bytes(tmp_path / 'again')
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_different_seed_differs(tiny_set, tmp_path):
    root, _ = tiny_set
    generate_posetrack(tmp_path / 'other', **{**TINY, 'seed': 1})
    first, second = _tree_bytes(root), _tree_bytes(tmp_path / 'other')
    for name in ('annotations/posetrack18_train.json',
                 'images/train/000001_synthetic/000000.jpg'):
        assert first[name] != second[name], name


# ----------------------------------------------------------------------------- layout + schema


def test_layout_matches_posetrack(tiny_set):
    root, summary = tiny_set
    for split in ('train', 'val'):
        videos = summary['splits'][split]['videos']
        assert len(videos) == 2
        assert all(re.fullmatch(r'\d{6}_synthetic', v) for v in videos)
        assert (root / 'annotations' / f'posetrack18_{split}.json').is_file()
        assert (root / 'annotations' / f'posetrack18_{split}_human_detections.json').is_file()
        for video in videos:
            assert (root / 'annotations' / split / f'{video}.json').is_file()
            for frame in range(6):
                assert (root / 'images' / split / video / f'{frame:06d}.jpg').is_file()
                assert (root / 'mask' / split / video / f'{frame:06d}.jpg').is_file()
    assert not [p for p in root.rglob('*') if p.name.endswith('.tmp')]


def test_schema_matches_real_files(tiny_set, real_sample):
    root, _ = tiny_set
    real_files = sorted((real_sample / 'annotations' / 'val').glob('*.json'))
    assert real_files
    ours_files = _video_files(root, 'train') + _video_files(root, 'val')
    for real_file in real_files:
        real = _load(real_file)
        real_image_keys = set().union(*(img.keys() for img in real['images']))
        real_ann_keys = set().union(*(ann.keys() for ann in real['annotations']))
        for ours_file in ours_files:
            ours = _load(ours_file)
            assert list(ours) == list(real)
            assert ours['categories'] == real['categories']
            for img in ours['images']:
                assert set(img) >= real_image_keys, real_image_keys - set(img)
            assert ours['annotations']
            for ann in ours['annotations']:
                assert set(ann) >= real_ann_keys, real_ann_keys - set(ann)
    categories = _load(real_files[0])['categories'][0]
    assert categories['keypoints'] == KEYPOINT_NAMES
    assert categories['skeleton'] == SKELETON


def _check_ids(data: dict[str, Any], file_pattern: str) -> None:
    """PoseTrack conventions: file names, image ids and annotation ids."""
    image_ids = set()
    for img in data['images']:
        match = re.fullmatch(file_pattern, img['file_name'])
        assert match, img['file_name']
        video_number, frame = match.group(1), int(match.group(2))
        assert img['vid_id'] == video_number
        assert img['frame_id'] == int(f'1{video_number}{frame:04d}')
        assert img['id'] == img['frame_id']
        assert isinstance(img['is_labeled'], bool) and isinstance(img['nframes'], int)
        assert len(img['ignore_regions_x']) == len(img['ignore_regions_y'])
        image_ids.add(img['id'])
    for ann in data['annotations']:
        assert ann['image_id'] in image_ids
        assert ann['id'] // 100 == ann['image_id']
        assert ann['category_id'] == 1 and ann['iscrowd'] is False and ann['scores'] == []


def test_file_names_and_ids_follow_posetrack(tiny_set, real_sample):
    root, _ = tiny_set
    for real_file in sorted((real_sample / 'annotations' / 'val').glob('*.json')):
        _check_ids(_load(real_file), r'images/val/(\d{6})_\w+/(\d{6})\.jpg')
    for split in ('train', 'val'):
        for video_file in _video_files(root, split):
            _check_ids(_load(video_file), rf'images/{split}/(\d{{6}})_synthetic/(\d{{6}})\.jpg')


def test_detections_match_real_schema(tiny_set, real_sample):
    root, _ = tiny_set
    real = _load(real_sample / 'annotations' / 'test_posetrack18_human_detections.json')
    real_keys = {tuple(sorted(det)) for det in real}
    for split in ('train', 'val'):
        dets = _load(root / 'annotations' / f'posetrack18_{split}_human_detections.json')
        image_ids = {img['id'] for img in _load(root / 'annotations' /
                                                 f'posetrack18_{split}.json')['images']}
        assert dets and isinstance(dets, list)
        assert {tuple(sorted(det)) for det in dets} == real_keys
        for det in dets:
            x, y, w, h = det['bbox']
            assert w > 0 and h > 0 and x >= 0 and y >= 0
            assert x + w <= WIDTH + 1e-6 and y + h <= HEIGHT + 1e-6
            assert 0 < det['score'] <= 1 and det['category_id'] == 1
            assert det['image_id'] in image_ids
        # Noisy true boxes score high, false positives low: both must be present.
        scores = [det['score'] for det in dets]
        assert max(scores) > 0.6 and min(scores) < 0.4


def test_merged_file_concatenates_videos(tiny_set):
    root, _ = tiny_set
    for split in ('train', 'val'):
        merged = _load(root / 'annotations' / f'posetrack18_{split}.json')
        videos = [_load(f) for f in _video_files(root, split)]
        assert merged['categories'] == videos[0]['categories']
        assert merged['images'] == [img for v in videos for img in v['images']]
        assert merged['annotations'] == [ann for v in videos for ann in v['annotations']]
        ann_ids = [ann['id'] for ann in merged['annotations']]
        assert len(ann_ids) == len(set(ann_ids))


# ----------------------------------------------------------------------------- labels


def test_keypoints_are_valid(tiny_set):
    root, _ = tiny_set
    for split in ('train', 'val'):
        for ann in _load(root / 'annotations' / f'posetrack18_{split}.json')['annotations']:
            assert len(ann['keypoints']) == 17 * 3
            kps = _keypoints(ann)
            visible = kps[:, 2] > 0
            assert set(np.unique(kps[:, 2])) <= {0.0, 1.0}
            assert (kps[list(EARS)] == 0).all()  # PoseTrack never labels the ears
            assert (kps[~visible] == 0).all()
            assert (kps[visible, 0] >= 0).all() and (kps[visible, 0] < WIDTH).all()
            assert (kps[visible, 1] >= 0).all() and (kps[visible, 1] < HEIGHT).all()
            assert ann['num_keypoints'] == int(visible.sum()) > 0
            assert len(ann['occluded']) == 17 and set(ann['occluded']) <= {0, 1}
            assert all(visible[k] for k in range(17) if ann['occluded'][k])
            # The person box holds every visible joint; the head box hugs the drawn head.
            x, y, w, h = ann['bbox']
            assert (kps[visible, 0] >= x).all() and (kps[visible, 0] <= x + w).all()
            assert (kps[visible, 1] >= y).all() and (kps[visible, 1] <= y + h).all()
            hx, hy, hw, hh = ann['bbox_head']
            assert all(isinstance(v, int) for v in ann['bbox_head']) and hw > 0 and hh > 0
            for name in ('head_top', 'head_bottom', 'nose'):
                px, py, pv = kps[KEYPOINT_NAMES.index(name)]
                if pv > 0:
                    assert hx - 1 <= px <= hx + hw + 1 and hy - 1 <= py <= hy + hh + 1, name


def test_tracks_are_consistent(tiny_set):
    root, _ = tiny_set
    limbs = [('left_shoulder', 'left_elbow'), ('right_shoulder', 'right_elbow'),
             ('left_elbow', 'left_wrist'), ('left_hip', 'left_knee'),
             ('right_knee', 'right_ankle'), ('head_bottom', 'head_top')]
    checked = 0
    for split in ('train', 'val'):
        for video_file in _video_files(root, split):
            lengths: dict[tuple[int, int], list[float]] = defaultdict(list)
            per_image: dict[int, list[int]] = defaultdict(list)
            for ann in _load(video_file)['annotations']:
                per_image[ann['image_id']].append(ann['track_id'])
                kps = _keypoints(ann)
                for limb_index, (a, b) in enumerate(limbs):
                    pa, pb = kps[KEYPOINT_NAMES.index(a)], kps[KEYPOINT_NAMES.index(b)]
                    if pa[2] > 0 and pb[2] > 0:
                        lengths[(ann['track_id'], limb_index)].append(
                            float(np.hypot(*(pa[:2] - pb[:2]))))
            assert all(len(ids) == len(set(ids)) for ids in per_image.values())
            assert {t for ids in per_image.values() for t in ids} <= {0, 1, 2}
            for values in lengths.values():
                if len(values) > 1:
                    assert max(values) < 1.2 * min(values)
                    checked += 1
    assert checked > 0


def test_sparse_labelling(tmp_path):
    common = dict(num_frames=7, image_size=(WIDTH, HEIGHT), seed=3)
    summary = generate_posetrack(tmp_path / 'stride', num_videos={'train': 1, 'val': 1},
                                 label_stride=3, **common)
    root = tmp_path / 'stride'
    train = _load(_video_files(root, 'train')[0])
    assert [img['is_labeled'] for img in train['images']] == [i % 3 == 0 for i in range(7)]
    labeled_ids = {img['id'] for img in train['images'] if img['is_labeled']}
    assert {ann['image_id'] for ann in train['annotations']} <= labeled_ids
    assert all(img['is_labeled'] for img in _load(_video_files(root, 'val')[0])['images'])
    assert summary['splits']['train']['num_labeled_images'] == 3

    generate_posetrack(tmp_path / 'ratio', num_videos={'train': 2, 'val': 1}, labeled_ratio=0.5,
                       val_all_labeled=False, **common)
    for split in ('train', 'val'):
        for video_file in _video_files(tmp_path / 'ratio', split):
            flags = [img['is_labeled'] for img in _load(video_file)['images']]
            assert sum(flags) == round(0.5 * 7)


def test_occluded_joints_are_flagged(tmp_path):
    summary = generate_posetrack(tmp_path, num_videos={'val': 2}, num_frames=10,
                                 image_size=(WIDTH, HEIGHT), occluder_prob=1.0, seed=0)
    assert summary['splits']['val']['num_occluded_keypoints'] > 0
    anns = _load(tmp_path / 'annotations' / 'posetrack18_val.json')['annotations']
    assert sum(sum(ann['occluded']) for ann in anns) == (
        summary['splits']['val']['num_occluded_keypoints'])


def test_images_decode_with_right_size(tiny_set):
    root, _ = tiny_set
    merged = _load(root / 'annotations' / 'posetrack18_val.json')
    for img in merged['images']:
        for key in ('file_name', 'mask_file'):
            decoded = cv2.imread(str(root / img[key]))
            assert decoded is not None and decoded.shape == (HEIGHT, WIDTH, 3), img[key]
        assert (img['width'], img['height']) == (WIDTH, HEIGHT)


# ----------------------------------------------------------------------------- errors + CLI


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_frames=0), 'num_frames'),
    (dict(num_frames=(5, 3)), 'num_frames'),
    (dict(num_videos={'test': 1}), 'unknown split'),
    (dict(num_videos={'train': 0}), 'num_videos'),
    (dict(label_stride=0), 'label_stride'),
    (dict(labeled_ratio=1.5), 'labeled_ratio'),
    (dict(label_stride=2, labeled_ratio=0.5), 'not both'),
    (dict(image_size=(10, 10)), 'image size'),
    (dict(seed=-1), 'seed'),
])
def test_invalid_arguments_raise_value_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_posetrack(tmp_path, **kwargs)


def test_unwritable_output_dir_raises(tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    with pytest.raises(ValueError, match='not writable'):
        generate_posetrack(blocker / 'out', num_frames=2)


@pytest.mark.parametrize('args', [
    ['--frames', '0'],
    ['--splits', 'test'],
    ['--label-stride', '2', '--labeled-ratio', '0.5'],
    ['--frames', 'abc'],
    ['--train-videos', '0'],
    ['UNWRITABLE'],
])
def test_cli_bad_arguments_exit_2_with_one_error_line(tmp_path, args):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    if args == ['UNWRITABLE']:
        args = [str(blocker / 'out')]
    else:
        args = [str(tmp_path / 'out'), *args]
    result = _run_tool(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), result.stderr
    assert 'Traceback' not in result.stderr + result.stdout


def test_cli_generates_a_small_set(tmp_path):
    result = _run_tool(str(tmp_path), '--train-videos', '1', '--splits', 'train', '--frames',
                       '3', '--width', '128', '--height', '96', '--label-stride', '1')
    assert result.returncode == 0, result.stderr
    merged = _load(tmp_path / 'annotations' / 'posetrack18_train.json')
    assert len(merged['images']) == 3
    assert not (tmp_path / 'annotations' / 'posetrack18_val.json').exists()


def test_generator_imports_no_deep_learning_stack():
    banned = {'torch', 'mmpose', 'mmengine', 'mmcv', 'mmdet'}
    for source in PACKAGE_DIR.glob('*.py'):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or '']
            else:
                continue
            assert not {n.split('.')[0] for n in names} & banned, (source.name, names)
    # The CLI runs with torch / MMPose blocked: tests/test_numpy_only.py.
