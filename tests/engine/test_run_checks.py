"""Start-of-run checks (issue 14): checkpoint fill (4) and key-frame position (8)."""
import subprocess
import sys

import pytest
import torch
from mmengine import Config
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmpose.registry import HOOKS, MODELS

from stdpose_mm.engine.run_checks import CheckpointMismatchError, watch_next_load
from tests.conftest import REPO_ROOT
from tests.test_tools.e2e_utils import data_overrides, run_tool

STDPOSE_CONFIG = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'
SINGLE_FRAME_CONFIG = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'


def build_model(config: str):
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(str(REPO_ROOT / config)).model)


def resnet_state_dict() -> dict:
    from torchvision.models import resnet18

    return resnet18(weights=None).state_dict()


class _Loop(BaseLoop):

    def run(self):
        pass


class FakeRunner:
    """What SafeCheckpointHook reads of MMEngine's Runner around ``load_checkpoint``."""

    def __init__(self, model, training: bool, load_from: str) -> None:
        self.model = model
        self._load_from = load_from
        self._train_loop = _Loop(self, []) if training else None
        self.messages = []
        self.logger = type('Logger', (), {'info': lambda _, msg: self.messages.append(msg)})()


def load_like_runner(model, checkpoint: dict, training: bool, name: str) -> FakeRunner:
    """Runner.load_checkpoint: after_load_checkpoint hooks, then MMEngine's model load."""
    runner = FakeRunner(model, training, name)
    hook = HOOKS.build(dict(type='SafeCheckpointHook'))
    hook.after_load_checkpoint(runner, checkpoint)
    _load_checkpoint_to_model(model, checkpoint)
    hook.before_test(runner)
    return runner


def test_testing_refuses_a_checkpoint_of_another_model():
    model = build_model(STDPOSE_CONFIG)
    num_tensors = sum(not k.endswith('num_batches_tracked') for k in model.state_dict())
    with pytest.raises(CheckpointMismatchError) as info:
        load_like_runner(model, {'state_dict': resnet_state_dict()}, False, 'resnet18.pth')
    message = str(info.value)
    assert f'resnet18.pth fills 0 of {num_tensors} model tensors' in message
    assert 'missing (left at init)' in message and 'backbone.' in message


def test_single_frame_checkpoint_fill_agrees_with_the_models_remap():
    """The fill is read from the model's own load: the single-frame head's final layer
    counts as loaded (remapped into the DAM), the temporal layers as missing."""
    model = build_model(STDPOSE_CONFIG)
    single = build_model(SINGLE_FRAME_CONFIG).state_dict()
    fills = []
    handle = watch_next_load(model, {'state_dict': single}, 'single.pth', fills.append)
    model.load_state_dict(single, strict=False)
    handle.remove()
    (fill, ) = fills
    assert not fill.complete and 0 < fill.num_filled < fill.num_model
    assert not [key for key in fill.missing if key.startswith('backbone.')]
    assert 'temporal_necks.dam.heatmap_layer.weight' not in fill.missing
    assert any(key.startswith('temporal_necks.encoder.') for key in fill.missing)
    assert any(key.startswith('head.') for key in fill.missing)
    with pytest.raises(CheckpointMismatchError, match=r'single.pth fills \d+ of \d+'):
        load_like_runner(build_model(STDPOSE_CONFIG), {'state_dict': single}, False,
                         'single.pth')


def test_training_load_from_stays_non_strict_and_logs_the_fill():
    model = build_model(STDPOSE_CONFIG)
    single = build_model(SINGLE_FRAME_CONFIG).state_dict()
    runner = load_like_runner(model, {'state_dict': single}, True, 'coco_hrnet.pth')
    (summary, ) = [msg for msg in runner.messages if 'fills' in msg]
    assert 'coco_hrnet.pth fills' in summary and 'missing (left at init)' in summary
    torch.testing.assert_close(model.backbone.state_dict(),
                               {k[len('backbone.'):]: v for k, v in single.items()
                                if k.startswith('backbone.')})


def test_testing_accepts_the_models_own_checkpoint():
    model = build_model(STDPOSE_CONFIG)
    own = {'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()}}
    runner = load_like_runner(build_model(STDPOSE_CONFIG), own, False, 'own.pth')
    num_tensors = sum(not k.endswith('num_batches_tracked') for k in model.state_dict())
    assert any(f'own.pth fills {num_tensors} of {num_tensors}' in msg
               for msg in runner.messages)


def test_test_tool_inferencer_and_demo_refuse(tiny_posetrack, tmp_path):
    resnet = tmp_path / 'resnet18.pth'
    torch.save(resnet_state_dict(), resnet)
    test = run_tool('test.py', STDPOSE_CONFIG, str(resnet), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', *data_overrides(tiny_posetrack))
    assert test.returncode == 1, test.stdout[-3000:] + test.stderr[-3000:]
    assert 'error: refusing testing with checkpoint' in test.stderr
    assert f'{resnet} fills 0 of' in test.stderr and 'posetrack/Total AP:' not in test.stdout

    from stdpose_mm.apis import VideoPoseInferencer

    single = tmp_path / 'single_frame.pth'
    torch.save({'state_dict': build_model(SINGLE_FRAME_CONFIG).state_dict()}, single)
    with pytest.raises(CheckpointMismatchError, match='single_frame.pth fills'):
        VideoPoseInferencer(str(REPO_ROOT / STDPOSE_CONFIG), str(single), device='cpu')
    demo = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'video_demo.py'), STDPOSE_CONFIG,
         str(single), '--input', str(next((tiny_posetrack / 'images' / 'val').iterdir())),
         '--output-root',
         str(tmp_path / 'out'), '--device', 'cpu'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 1, demo.stderr[-3000:]
    assert 'error: refusing inference with checkpoint' in demo.stderr
    assert 'single_frame.pth fills' in demo.stderr and 'Traceback' not in demo.stderr


def test_val_key_frame_mismatch_is_found_when_the_run_starts(tiny_posetrack, tmp_path):
    """Issue 14 (8): only the val set is wrong; refused before any training iteration."""
    train = run_tool('train.py', STDPOSE_CONFIG, '--work-dir', str(tmp_path / 'w'),
                     '--cfg-options', *data_overrides(tiny_posetrack),
                     'val_dataloader.dataset.frame_indices=[-4,-3,-2,-1,0]')
    output = train.stdout + train.stderr
    assert train.returncode != 0, output[-3000:]
    assert 'val dataset' in output and 'key frame at position 4 of 5' in output
    assert 'found when the run started' in output
    assert 'Epoch(train)' not in output, output[-3000:]
