"""End to end through the standard tools: train a few iterations, then test the checkpoint."""
import re
import subprocess
import sys

import pytest

from .e2e_utils import data_overrides, run_tool

BASELINE_CONFIG = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'
STDPOSE_CONFIG = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'
DCPOSE_CONFIG = 'configs/cpu/dcpose_tiny-hrnet_synthetic.py'


@pytest.mark.parametrize('config', [BASELINE_CONFIG, STDPOSE_CONFIG, DCPOSE_CONFIG])
def test_train_then_test(config, tiny_posetrack, tmp_path):
    work_dir = tmp_path / 'work'
    options = data_overrides(tiny_posetrack)
    train = run_tool('train.py', config, '--work-dir', str(work_dir), '--cfg-options', *options)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    assert 'posetrack/Total AP' in train.stdout + train.stderr

    test = run_tool('test.py', config, str(checkpoint), '--work-dir', str(work_dir / 'test'),
                    '--cfg-options', *options)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-3000:]
    match = re.search(r'posetrack/Total AP: ([0-9.]+)', output)
    assert match, output[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0


EXTERNAL_CONFIG = """
_base_ = [__import__('stdpose_mm.config_path', fromlist=['_']).config_path('{name}')]
{body}
"""


def test_external_project_inherits_installed_config(tmp_path):
    from mmengine import Config

    external = tmp_path / 'my_project' / 'my_stdpose.py'
    external.parent.mkdir()
    external.write_text(EXTERNAL_CONFIG.format(
        name='stdpose_hrnet_pt17.py', body="model = dict(neck=dict(dam=dict(k=20.0)))"))
    cfg = Config.fromfile(str(external))
    assert cfg.model.type == 'VideoTopdownPoseEstimator'
    assert cfg.model.neck.dam.k == 20.0 and cfg.model.neck.dam.theta == 0.1
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/posetrack17_train.json'


def test_mmpose_own_train_script_with_custom_imports(tiny_posetrack, tmp_path):
    """MMPose's unmodified tools/train.py, an outside config, the plugin via custom_imports."""
    from stdpose_mm.utils.mmpose_tools import mmpose_tool_path

    external = tmp_path / 'external.py'
    external.write_text(EXTERNAL_CONFIG.format(name=BASELINE_CONFIG[len('configs/'):],
                                               body='train_cfg = dict(max_epochs=1)'))
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, mmpose_tool_path('train.py'), str(external), '--work-dir',
         str(work_dir), '--cfg-options', *data_overrides(tiny_posetrack)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
