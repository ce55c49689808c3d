import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

from stdpose_mm.utils import (
    UnsafeCheckpointError,
    decode_history_buffers,
    encode_history_buffers,
    safe_load_checkpoint,
)


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        outputs = self.linear(inputs)
        if mode == 'loss':
            targets = torch.stack(targets) if isinstance(targets, list) else targets
            return {'loss': ((outputs - targets)**2).mean()}
        return outputs


class ToyDataset(Dataset):
    metainfo = dict(sigmas=np.ones(3, dtype=np.float32), name='toy')

    def __len__(self):
        return 8

    def __getitem__(self, index):
        x = torch.tensor([index / 8, 1.0])
        return dict(inputs=x, targets=x.sum().reshape(1))


def make_runner(work_dir, max_iters, with_hook=True, resume=False):
    import stdpose_mm  # noqa: F401  (registers SafeCheckpointHook and the safe loader)

    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyDataset(), sampler=dict(type='DefaultSampler'),
                              batch_size=2, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='SafeCheckpointHook')] if with_hook else [],
        resume=resume,
        default_scope='mmpose',
        experiment_name=f'toy_{with_hook}_{resume}_{max_iters}',
    )


def test_runner_checkpoint_resumes_with_weights_only(tmp_path):
    runner = make_runner(tmp_path, max_iters=2)
    runner.train()
    checkpoint_file = tmp_path / 'iter_2.pth'
    assert checkpoint_file.is_file()
    # The file loads with weights_only=True and restores real HistoryBuffers.
    checkpoint = safe_load_checkpoint(str(checkpoint_file))
    loss_buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss_buffer, HistoryBuffer)
    assert len(loss_buffer.data[0]) == 2
    saved_weight = checkpoint['state_dict']['linear.weight'].clone()

    resumed = make_runner(tmp_path, max_iters=4, resume=True)
    resumed.train()
    assert resumed.iter == 4
    # The resumed run continued from the saved weights and kept the loss history.
    history = resumed.message_hub.get_scalar('train/loss').data[0]
    assert len(history) == 4
    final = safe_load_checkpoint(str(tmp_path / 'iter_4.pth'))
    assert not torch.equal(final['state_dict']['linear.weight'], saved_weight)


def test_plain_mmengine_resume_checkpoint_is_refused(tmp_path):
    runner = make_runner(tmp_path, max_iters=2, with_hook=False)
    runner.train()
    with pytest.raises(UnsafeCheckpointError, match='iter_2.pth'):
        safe_load_checkpoint(str(tmp_path / 'iter_2.pth'))


class Payload:

    def __reduce__(self):
        return (os.system, ('touch pwned_by_checkpoint',))


def test_arbitrary_object_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'payload': Payload()}, evil)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_load_checkpoint(str(evil))
    assert 'evil.pth' in str(info.value)
    assert not (tmp_path / 'pwned_by_checkpoint').exists()
    assert isinstance(info.value, pickle.UnpicklingError)


def test_numpy_content_loads(tmp_path):
    path = tmp_path / 'numpy.pth'
    meta = dict(sigmas=np.arange(3, dtype=np.float32), scalar=np.float64(2.5),
                ints=np.int64(3), dtype=np.dtype('float32'))
    torch.save({'meta': meta, 'state_dict': {'w': torch.ones(2)}}, path)
    loaded = safe_load_checkpoint(str(path))
    np.testing.assert_array_equal(loaded['meta']['sigmas'], meta['sigmas'])
    assert loaded['meta']['scalar'] == 2.5


def test_history_buffer_round_trip():
    buffer = HistoryBuffer(log_history=[1.0, 2.0], count_history=[1, 2], max_length=7)
    checkpoint = {'message_hub': {'log_scalars': {'loss': buffer}}}
    encoded = encode_history_buffers(checkpoint)
    assert isinstance(encoded['message_hub']['log_scalars']['loss'], dict)
    decoded = decode_history_buffers(encoded)['message_hub']['log_scalars']['loss']
    assert isinstance(decoded, HistoryBuffer)
    assert decoded.max_length == 7
    np.testing.assert_array_equal(decoded.data[0], [1.0, 2.0])


def test_mmengine_load_checkpoint_uses_safe_loader(tmp_path):
    from mmengine.runner import load_checkpoint

    import stdpose_mm  # noqa: F401

    evil = tmp_path / 'evil.pth'
    torch.save({'payload': Payload()}, evil)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(nn.Linear(1, 1), str(evil))


@pytest.mark.parametrize('cut', ['empty', 'half', 'legacy'])
def test_truncated_checkpoint_names_the_file(tmp_path, cut):
    """Issue 14 (6): torch's bare EOFError / PytorchStreamReader error, wrapped."""
    from stdpose_mm.utils.checkpoint import TruncatedCheckpointError

    path = tmp_path / f'{cut}.pth'
    torch.save({'state_dict': {'w': torch.randn(64, 64)}}, path,
               _use_new_zipfile_serialization=cut != 'legacy')
    content = path.read_bytes()
    path.write_bytes(b'' if cut == 'empty' else content[:len(content) // 2])
    with pytest.raises(TruncatedCheckpointError) as info:
        safe_load_checkpoint(str(path))
    assert str(path) in str(info.value) and 'truncated' in str(info.value)


class Plain:
    """A class outside the allow-list (torch advises allow-listing it)."""


@pytest.mark.parametrize('content', ['os.system', 'class', 'opcode'])
def test_refusal_does_not_advise_turning_weights_only_off(tmp_path, content):
    """Issue 14 (6): the refusal says what was refused, never torch's advice to rerun with
    weights_only=False (or to allow-list the global)."""
    evil = tmp_path / 'evil.pth'
    if content == 'opcode':  # a pickle opcode the safe unpickler does not support (EXT1)
        evil.write_bytes(b'\x80\x02\x82\x01.')
    else:
        torch.save({'payload': Payload() if content == 'os.system' else Plain()}, evil)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_load_checkpoint(str(evil))
    message = str(info.value)
    assert 'evil.pth' in message
    if content != 'opcode':
        assert ('system' if content == 'os.system' else 'Plain') in message
    for advice in ('weights_only', 'Re-running', 'add_safe_globals', 'safe_globals(',
                   'if you trust'):
        assert advice not in message, message
