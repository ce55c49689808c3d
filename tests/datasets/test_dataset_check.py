"""Bad data at scale: the fast pre-check, start-up refusal and skipping (issue 9)."""
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stdpose_mm.datasets import PoseTrackAnnotationError, PoseTrackVideoDataset
from stdpose_mm.datasets import posetrack_video_dataset as dataset_module
from stdpose_mm.datasets.dataset_check import (
    BadDataError,
    check_frame_file,
    check_posetrack_dataset,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_TOOL = REPO_ROOT / 'tools' / 'check_dataset.py'
INPUT_SIZE = (96, 128)
VIDEO_PIPELINE = [dict(type='LoadVideoFrames'), dict(type='GetBBoxCenterScale'),
                  dict(type='VideoTopdownAffine', input_size=INPUT_SIZE),
                  dict(type='PackVideoPoseInputs')]


class BadSet:
    """A copy of the tiny set with 2 corrupt JPEGs (video 1) and a malformed json (video 2)."""

    def __init__(self, src: Path, dst: Path) -> None:
        self.root = Path(shutil.copytree(src, dst))
        self.ann_dir = self.root / 'annotations' / 'train'
        good_json, bad_json = sorted(self.ann_dir.glob('*.json'))
        self.good_video = good_json.stem
        self.bad_json = str(bad_json)
        frames = sorted((self.root / 'images' / 'train' / self.good_video).glob('*.jpg'))
        self.empty_frame, self.garbage_frame = str(frames[3]), str(frames[5])
        Path(self.empty_frame).write_bytes(b'')
        Path(self.garbage_frame).write_bytes(b'this is not a JPEG at all' * 40)
        text = bad_json.read_text()
        bad_json.write_text(text[:len(text) // 2])  # cut mid-file: malformed json
        self.bad_files = [self.bad_json, self.empty_frame, self.garbage_frame]

    def dataset(self, **kwargs) -> PoseTrackVideoDataset:
        kwargs.setdefault('pipeline', [])
        return PoseTrackVideoDataset(ann_file=str(self.ann_dir),
                                     data_prefix=dict(img=str(self.root) + '/'), **kwargs)


@pytest.fixture
def bad_set(tiny_posetrack, tmp_path) -> BadSet:
    return BadSet(tiny_posetrack, tmp_path / 'bad_set')


@pytest.fixture
def log_messages(monkeypatch) -> list:
    """(message, level) of every print_log call of the dataset module."""
    messages = []
    monkeypatch.setattr(dataset_module, 'print_log',
                        lambda msg, **kwargs: messages.append((msg, kwargs.get('level'))))
    return messages


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK_TOOL), *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=120)


def test_precheck_lists_every_bad_file(bad_set):
    report = check_posetrack_dataset(str(bad_set.ann_dir), img_prefix=str(bad_set.root) + '/')
    assert not report.ok and report.num_bad == 3
    assert [path for path, _ in report.bad_annotation_files] == [bad_set.bad_json]
    reasons = dict(report.bad_frames)
    assert set(reasons) == {bad_set.empty_frame, bad_set.garbage_frame}
    assert 'empty' in reasons[bad_set.empty_frame]
    assert 'not a decodable image' in reasons[bad_set.garbage_frame]
    assert 'malformed json' in report.bad_annotation_files[0][1]
    assert report.num_annotation_files == 2 and report.num_frames == 8  # the good video
    text = report.format()
    assert all(path in text for path in bad_set.bad_files)
    # data_root joins like MMEngine's: relative ann_file and prefix under the root.
    rooted = check_posetrack_dataset('annotations/train', data_root=str(bad_set.root))
    assert rooted.num_bad == 3


def test_frame_checks(tmp_path):
    import cv2
    import numpy as np

    image = np.random.default_rng(0).integers(0, 255, (32, 48, 3), np.uint8)
    for suffix in ('.jpg', '.png'):
        path = tmp_path / f'frame{suffix}'
        cv2.imwrite(str(path), image)
        assert check_frame_file(str(path)) is None
        assert check_frame_file(str(path), full_decode=True) is None
        content = path.read_bytes()
        path.write_bytes(content[:len(content) // 2])  # an interrupted copy
        assert 'truncated' in check_frame_file(str(path))
    assert check_frame_file(str(tmp_path / 'absent.jpg')) == 'missing'
    bmp = tmp_path / 'frame.bmp'  # neither JPEG nor PNG: decoded to decide
    cv2.imwrite(str(bmp), image)
    assert check_frame_file(str(bmp)) is None


def test_error_mode_refuses_at_construction_naming_every_bad_file(bad_set):
    with pytest.raises(BadDataError) as info:
        bad_set.dataset()
    message = str(info.value)
    assert all(path in message for path in bad_set.bad_files)
    assert 'bad_data="skip"' in message
    assert info.value.report.num_bad == 3


def test_skip_mode_leaves_out_bad_data_and_logs_each_file_once(bad_set, log_messages):
    dataset = bad_set.dataset(bad_data='skip', pipeline=VIDEO_PIPELINE)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert {info['vid_id'] for info in infos} == {bad_set.good_video.split('_')[0]}
    key_frames = {info['img_path'] for info in infos}
    assert bad_set.empty_frame not in key_frames and bad_set.garbage_frame not in key_frames
    # Windows that need a bad frame mark it for LoadVideoFrames, and do not use its labels.
    marked = [info for info in infos if info.get('bad_frame_paths')]
    assert marked
    for info in marked:
        for path, labeled in zip(info['frame_paths'], info['frame_labeled']):
            if path in info['bad_frame_paths']:
                assert labeled == 0
    for _ in range(2):  # iterate twice: nothing raises, nothing is logged again
        for index in range(len(dataset)):
            sample = dataset[index]
            assert tuple(sample['inputs'].shape) == (5, 3, INPUT_SIZE[1], INPUT_SIZE[0])
    for path in bad_set.bad_files:
        mentions = [level for msg, level in log_messages if path in msg]
        assert mentions == [logging.WARNING], path


def test_skip_mode_skips_a_frame_that_breaks_at_run_time(bad_set, log_messages):
    dataset = bad_set.dataset(bad_data='skip', pipeline=VIDEO_PIPELINE)
    broken = dataset.get_data_info(0)['img_path']
    Path(broken).write_bytes(b'')  # after the pre-check
    for _ in range(2):
        sample = dataset[0]  # MMEngine refetches another index
        assert sample['data_samples'].metainfo['img_path'] != broken
    assert len([msg for msg, _ in log_messages if broken in msg]) == 1
    with pytest.raises(BadDataError):  # the default mode still refuses
        bad_set.dataset()


def test_malformed_merged_json_is_an_error_even_when_skipping(tiny_posetrack, tmp_path):
    ann_file = tmp_path / 'merged.json'
    ann_file.write_text('{"images": [')
    with pytest.raises(PoseTrackAnnotationError, match='cannot use part of a single'):
        PoseTrackVideoDataset(ann_file=str(ann_file), bad_data='skip', pipeline=[],
                              data_prefix=dict(img=str(tiny_posetrack) + '/'))
    with pytest.raises(ValueError, match='bad_data'):
        PoseTrackVideoDataset(ann_file=str(ann_file), bad_data='ignore', pipeline=[])


def test_error_mode_on_clean_set_passes(tiny_posetrack):
    """The default pre-check runs on every build; on clean data it adds only a stat and two
    small reads per frame and changes nothing."""
    kwargs = dict(ann_file=str(tiny_posetrack / 'annotations' / 'train'), pipeline=[],
                  data_prefix=dict(img=str(tiny_posetrack) + '/'))
    checked = PoseTrackVideoDataset(**kwargs)
    unchecked = PoseTrackVideoDataset(bad_data='off', **kwargs)
    assert len(checked) == len(unchecked) > 0
    assert checked.get_data_info(3)['frame_paths'] == unchecked.get_data_info(3)['frame_paths']
    assert 'bad_frame_paths' not in checked.get_data_info(3)


def test_off_mode_does_not_check_frames(bad_set):
    Path(bad_set.bad_json).unlink()  # leave only the corrupt frames
    dataset = bad_set.dataset(bad_data='off')
    assert bad_set.empty_frame in {dataset.get_data_info(i)['img_path']
                                   for i in range(len(dataset))}


def test_cli_lists_bad_files_and_exit_codes(bad_set, tiny_posetrack):
    result = run_tool('--ann-file', str(bad_set.ann_dir), '--img-prefix', str(bad_set.root))
    assert result.returncode == 1, result.stderr
    assert all(path in result.stdout for path in bad_set.bad_files)
    clean = run_tool('--ann-file', 'annotations/train', '--data-root', str(tiny_posetrack))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert 'no bad file' in clean.stdout
    usage = run_tool('--ann-file', str(tiny_posetrack / 'absent'))
    assert usage.returncode == 2
    assert usage.stderr.startswith('error:') and len(usage.stderr.splitlines()) == 1


# ---------------------------------------------------------------- issue 14
class BadAnnotationSet:
    """A copy of the tiny set whose first train video has a zero-size box, a negative box
    and a non-numeric keypoint on three labelled people."""

    def __init__(self, src: Path, dst: Path) -> None:
        import json

        self.root = Path(shutil.copytree(src, dst))
        self.ann_dir = self.root / 'annotations' / 'train'
        self.ann_file = str(sorted(self.ann_dir.glob('*.json'))[0])
        data = json.loads(Path(self.ann_file).read_text())
        labelled = [ann for ann in data['annotations'] if max(ann['keypoints'][2::3]) > 0]
        zero, negative, strings = labelled[0], labelled[1], labelled[2]
        zero['bbox'] = zero['bbox'][:2] + [0, 0]
        negative['bbox'] = negative['bbox'][:2] + [-40.0, 80.0]
        strings['keypoints'][3] = 'x'
        self.bad_ids = {zero['id']: 'bbox', negative['id']: 'bbox', strings['id']: 'keypoints'}
        Path(self.ann_file).write_text(json.dumps(data))
        merged = self.root / 'annotations' / 'posetrack18_train.json'
        merged_data = json.loads(merged.read_text())
        by_id = {ann['id']: ann for ann in data['annotations']}
        merged_data['annotations'] = [by_id.get(ann['id'], ann)
                                      for ann in merged_data['annotations']]
        merged.write_text(json.dumps(merged_data))
        self.merged = str(merged)

    def dataset(self, ann_file=None, **kwargs) -> PoseTrackVideoDataset:
        kwargs.setdefault('pipeline', [])
        return PoseTrackVideoDataset(ann_file=ann_file or str(self.ann_dir),
                                     data_prefix=dict(img=str(self.root) + '/'), **kwargs)


@pytest.fixture
def bad_annotation_set(tiny_posetrack, tmp_path) -> BadAnnotationSet:
    return BadAnnotationSet(tiny_posetrack, tmp_path / 'bad_annotations')


def _assert_names_each_bad_annotation(text: str, bad: BadAnnotationSet) -> None:
    for ann_id, field_name in bad.bad_ids.items():
        line = next((line for line in text.splitlines() if f'annotation {ann_id} ' in line),
                    None)
        assert line is not None, (ann_id, text)
        assert f'field "{field_name}"' in line and bad.ann_file in line, line


def test_precheck_reports_bad_boxes_and_non_numeric_keypoints(bad_annotation_set):
    """Issue 14 (2, 3): zero-size / negative boxes and keypoint strings, by file, id, field."""
    bad = bad_annotation_set
    report = check_posetrack_dataset(str(bad.ann_dir), img_prefix=str(bad.root) + '/')
    assert not report.ok and len(report.bad_annotations) == 3
    assert {path for path, _ in report.bad_annotations} == {bad.ann_file}
    _assert_names_each_bad_annotation(report.format(), bad)
    assert '3 bad annotation(s)' in report.format().splitlines()[0]
    result = run_tool('--ann-file', str(bad.ann_dir), '--img-prefix', str(bad.root))
    assert result.returncode == 1, result.stdout + result.stderr
    _assert_names_each_bad_annotation(result.stdout, bad)


@pytest.mark.parametrize('merged', [False, True])
def test_bad_annotations_refused_or_skipped(bad_annotation_set, log_messages, merged):
    """'error' names file, annotation id and field; 'skip' leaves out just those people."""
    bad = bad_annotation_set
    ann_file = bad.merged if merged else None
    with pytest.raises(BadDataError) as info:
        bad.dataset(ann_file)
    message = str(info.value)
    for ann_id, field_name in bad.bad_ids.items():
        assert f'annotation {ann_id} field "{field_name}"' in message
    dataset = bad.dataset(ann_file, bad_data='skip')
    ids = {dataset.get_data_info(i)['id'] for i in range(len(dataset))}
    assert not ids & set(bad.bad_ids) and len(ids) > 0
    for info_ in (dataset.get_data_info(i) for i in range(len(dataset))):
        assert info_['bbox'][0, 2] > info_['bbox'][0, 0] and info_['bbox'][0, 3] > \
            info_['bbox'][0, 1]
    for ann_id in bad.bad_ids:
        logged = [msg for msg, _ in log_messages if f'annotation {ann_id} ' in msg]
        assert len(logged) == 1, (ann_id, log_messages)
    with pytest.raises(PoseTrackAnnotationError, match='annotation .* field'):
        bad.dataset(ann_file, bad_data='off')  # no pre-check, still never trained on


def _corrupt_jpeg_body(path: str) -> None:
    """Keep the JPEG's start and end markers, replace everything between by garbage."""
    content = Path(path).read_bytes()
    garbage = bytes((i * 37 + 11) % 256 for i in range(len(content) - 4))
    Path(path).write_bytes(content[:2] + garbage.replace(b'\xff', b'\x00') + b'\xff\xd9')


def test_corrupt_jpeg_body_never_stops_a_run(tiny_posetrack, tmp_path, log_messages):
    """Issue 14 (9): markers fine, body corrupt: the pre-check passes; at run time the
    sample is skipped in training (default 'error' mode) and the frame replaced in test."""
    root = Path(shutil.copytree(tiny_posetrack, tmp_path / 'corrupt_body'))
    kwargs = dict(ann_file=str(root / 'annotations' / 'train'), pipeline=VIDEO_PIPELINE,
                  data_prefix=dict(img=str(root) + '/'))
    dataset = PoseTrackVideoDataset(**kwargs)
    broken = dataset.get_data_info(2)['img_path']
    _corrupt_jpeg_body(broken)
    assert check_frame_file(broken) is None  # the fast pre-check cannot see it
    assert check_frame_file(broken, full_decode=True) is not None
    dataset = PoseTrackVideoDataset(**kwargs)  # 'error' mode: the pre-check passes
    uses = [i for i in range(len(dataset))
            if broken in dataset.get_data_info(i)['frame_paths']]
    for _ in range(2):
        for index in uses:
            sample = dataset[index]  # skipped: MMEngine fetched another sample
            assert broken not in sample['data_samples'].metainfo['frame_paths']
    reports = [msg for msg, _ in log_messages if broken in msg]
    assert len(reports) == 1 and 'unreadable frame(s) met so far' in reports[0], reports
    test_set = PoseTrackVideoDataset(test_mode=True, **kwargs)
    key_uses = [i for i in range(len(test_set)) if test_set.get_data_info(i)['img_path'] ==
                broken]
    assert key_uses
    for index in key_uses:  # every val sample still gives a prediction
        sample = test_set[index]
        assert sample['data_samples'].metainfo['img_path'] == broken
        assert tuple(sample['inputs'].shape) == (5, 3, INPUT_SIZE[1], INPUT_SIZE[0])
