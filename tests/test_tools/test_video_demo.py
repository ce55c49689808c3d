"""tools/video_demo.py end to end (subprocess) on a short synthetic video."""
import os
import subprocess
import sys

import mmengine
import pytest
import torch
from mmengine import Config
from mmpose.registry import MODELS

from tests.apis.test_video_pose_inferencer import (
    NUM_FRAMES,
    VIDEO_CONFIG,
    count_frames,
    make_bad_inputs,
    make_synthetic_video,
)
from tests.conftest import REPO_ROOT


def test_video_demo_writes_mp4_and_json(tmp_path):
    video = make_synthetic_video(tmp_path / 'data')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(VIDEO_CONFIG).model)
    checkpoint = tmp_path / 'stdpose_tiny.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out_dir = tmp_path / 'out'
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'video_demo.py'), VIDEO_CONFIG,
         str(checkpoint), '--input', video['video'], '--bboxes', video['dets'],
         '--output-root', str(out_dir), '--device', 'cpu', '--kpt-thr', '0.3', '--radius', '3',
         '--thickness', '1'],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONHASHSEED='0'), capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'{NUM_FRAMES}/{NUM_FRAMES}' in result.stderr  # the progress bar ran to the end
    assert count_frames(str(out_dir / 'synthetic.mp4')) == NUM_FRAMES
    predictions = mmengine.load(str(out_dir / 'synthetic.json'))
    assert len(predictions) == NUM_FRAMES
    ids = [[person['track_id'] for person in frame['instances']] for frame in predictions]
    assert all(sorted(frame_ids) == sorted(ids[0]) for frame_ids in ids) and len(ids[0]) == 2


@pytest.mark.parametrize('case', ['zero_bytes', 'undecodable', 'empty_folder', 'missing'])
def test_video_demo_bad_input_is_one_error_line(tmp_path, case):
    path = make_bad_inputs(tmp_path / 'inputs')[case]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'video_demo.py'), VIDEO_CONFIG, 'none',
         '--input', path, '--output-root', str(tmp_path / 'out'), '--device', 'cpu'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'Traceback' not in result.stderr and 'wrote' not in result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith('error: ') and path in last_line
    assert not (tmp_path / 'out').exists()
