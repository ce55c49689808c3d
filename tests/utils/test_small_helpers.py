"""The one implementation of each small helper: CLI errors, dataset wrappers, atomic json."""
import json

import pytest

from stdpose_mm.datasets.posetrack_annotations import VideoFrame, VideoIndex
from stdpose_mm.utils.atomic_io import atomic_write_json
from stdpose_mm.utils.cli import OneLineErrorParser, fail
from stdpose_mm.utils.dataset_cfg import leaf_dataset_cfgs, unwrap_dataset_cfg


def test_fail_prints_one_line_and_exits(capsys):
    with pytest.raises(SystemExit) as exc:
        fail('bad\nvalue  in   file.json', code=1)
    assert exc.value.code == 1
    assert capsys.readouterr().err == 'error: bad value in file.json\n'


def test_parser_errors_are_one_line(capsys):
    parser = OneLineErrorParser()
    parser.add_argument('--n', type=int)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(['--n', 'x'])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith('error: ') and err.count('\n') == 1


def test_leaf_dataset_cfgs_follow_every_wrapper():
    a, b, c = dict(type='A', ann_file='a'), dict(type='B', ann_file='b'), dict(type='C')
    cfg = dict(type='ConcatDataset', datasets=[
        dict(type='RepeatDataset', dataset=a), b, dict(type='ConcatDataset', datasets=[c])])
    assert list(leaf_dataset_cfgs(cfg)) == [a, b, c]
    assert list(leaf_dataset_cfgs(None)) == []
    assert unwrap_dataset_cfg(dict(type='RepeatDataset', dataset=dict(dataset=a))) is a


def test_atomic_write_json_keeps_dumps_options(tmp_path):
    path = tmp_path / 'sub' / 'x.json'
    atomic_write_json({'a': 1}, path, indent=1)
    assert path.read_text() == json.dumps({'a': 1}, indent=1)
    with pytest.raises(ValueError):
        atomic_write_json({'a': float('nan')}, path, allow_nan=False)
    assert json.loads(path.read_text()) == {'a': 1}  # the failed write left the old file


def test_video_span_from_listed_frames():
    frames = {n: VideoFrame(image={'file_name': f'{n:06d}.jpg'}, ann_file='v.json')
              for n in (1, 2, 9)}
    video = VideoIndex(vid_id='v', nframes=4, frames=frames, file_pattern='{:06d}.jpg')
    video.update_span()
    assert (video.first_frame, video.nframes, video.last_frame) == (1, 9, 9)
    frames[0] = VideoFrame(image={'file_name': '000000.jpg'}, ann_file='v.json')
    video.update_span()
    assert (video.first_frame, video.nframes) == (0, 10)
