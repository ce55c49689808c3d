"""The CPU ViT model (the stand-in of configs/stdpose_vitpose-b_pt*.py) through the standard
tools: a few training iterations with ViTPose's optimizer, then a test of the checkpoint."""
import re

from .e2e_utils import data_overrides, run_tool

VIT_CONFIG = 'configs/cpu/stdpose-combined_tiny-vit_synthetic.py'


def test_vit_train_then_test(tiny_posetrack, tmp_path):
    work_dir = tmp_path / 'work'
    options = data_overrides(tiny_posetrack)
    train = run_tool('train.py', VIT_CONFIG, '--work-dir', str(work_dir), '--cfg-options',
                     *options)
    output = train.stdout + train.stderr
    assert train.returncode == 0, output[-3000:]
    assert 'posetrack/Total AP' in output
    dumped_config = next(work_dir.glob('*.py')).read_text()  # the config as it ran
    assert 'LayerDecayOptimWrapperConstructor' in dumped_config
    losses = [float(x) for x in re.findall(r'\bloss: ([0-9.e+-]+)', output)]
    assert losses and all(loss == loss for loss in losses), output[-3000:]  # no NaN

    test = run_tool('test.py', VIT_CONFIG, str(work_dir / 'epoch_1.pth'), '--work-dir',
                    str(work_dir / 'test'), '--cfg-options', *options)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-3000:]
    match = re.search(r'posetrack/Total AP: ([0-9.]+)', output)
    assert match, output[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0
