"""tools/propagate.py end to end: a propagation model checkpoint -> pseudo-label json."""
import json

import pytest
import torch
from mmengine import Config
from mmpose.registry import MODELS

from .e2e_utils import REPO_ROOT, run_tool

CONFIG = 'configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py'


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(REPO_ROOT / CONFIG)).model)
    path = tmp_path_factory.mktemp('propagation') / 'random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def test_propagate_writes_pseudo_labels_and_refuses_to_overwrite(tiny_posetrack, checkpoint,
                                                                 tmp_path):
    out = tmp_path / 'pseudo.json'
    args = [CONFIG, checkpoint, '--out', str(out), '--data-root', f'{tiny_posetrack}/',
            '--label-stride', '2', '--num-workers', '0', '--batch-size', '8']
    result = run_tool('propagate.py', *args, '--eval')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'frame/s' in result.stderr or 'frame' in result.stderr  # the progress bar
    assert 'pseudo-label AP vs hidden labels' in result.stdout
    content = json.loads(out.read_text())
    ann = json.loads((tiny_posetrack / 'annotations' / 'posetrack18_train.json').read_text())
    labelled = {image['id'] for image in ann['images'] if int(image['file_name'][-10:-4]) % 2 == 0}
    written = {image['id'] for image in content['images']}
    assert written and not written & labelled  # every unlabelled frame, no labelled one
    assert written == {image['id'] for image in ann['images']} - labelled
    tracks = {a['track_id'] for a in ann['annotations']}
    assert content['annotations']
    for pseudo in content['annotations']:
        assert pseudo['track_id'] in tracks and len(pseudo['scores']) == 17
    before = out.read_bytes()
    again = run_tool('propagate.py', *args)
    assert again.returncode == 2 and '--overwrite' in again.stderr
    assert out.read_bytes() == before


def test_resume_refuses_a_partial_of_another_method(tiny_posetrack, tmp_path):
    out = tmp_path / 'pseudo.json'
    args = [CONFIG, '-', '--out', str(out), '--data-root', f'{tiny_posetrack}/',
            '--label-stride', '2']
    partial = tmp_path / 'pseudo.json.partial'
    partial.write_text(json.dumps({'run': {'method': 'interpolate'}}) + '\n')
    result = run_tool('propagate.py', *args, '--method', 'copy', '--resume')
    assert result.returncode == 2 and 'another run' in result.stderr and 'method' in result.stderr
    assert partial.read_text() == json.dumps({'run': {'method': 'interpolate'}}) + '\n'
    assert not out.exists()
