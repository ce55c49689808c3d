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
