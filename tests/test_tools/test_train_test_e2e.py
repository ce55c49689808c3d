"""End to end through the standard tools: train a few iterations, then test the checkpoint."""
import re

import pytest

from .e2e_utils import data_overrides, run_tool

BASELINE_CONFIG = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'


@pytest.mark.parametrize('config', [BASELINE_CONFIG])
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
