"""Atomic checkpoint writes: a crash mid-write never leaves a torn file behind."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.fileio.backends import local_backend as local_backend_module
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

from stdpose_mm.utils import AtomicLocalBackend, atomic_write_bytes, safe_load_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[2]
OLD = b'old checkpoint ' * 1000
NEW = b'new checkpoint ' * 4000


class SimulatedCrash(OSError):
    """Stands for the process dying in the middle of a write."""


class TornWriter:
    """A file object whose ``write`` stores only the first half of the data, then fails."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(data[:len(data) // 2])
        self._file.flush()
        raise SimulatedCrash('killed mid-write')

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._file.close()
        return False


def leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name != 'ckpt.pth')


def test_local_backends_are_atomic_after_import():
    import stdpose_mm  # noqa: F401

    # Both ways MMEngine's save_checkpoint picks a backend for a local path.
    assert type(get_file_backend('/tmp/epoch_1.pth')) is AtomicLocalBackend
    assert type(get_file_backend('/tmp/epoch_1.pth',
                                 backend_args=dict(backend='local'))) is AtomicLocalBackend


def test_put_writes_and_keeps_mode(tmp_path):
    target = tmp_path / 'sub' / 'ckpt.pth'
    AtomicLocalBackend().put(OLD, target)  # creates the missing folder like LocalBackend
    os.chmod(target, 0o640)
    AtomicLocalBackend().put(NEW, str(target))
    assert target.read_bytes() == NEW
    assert (os.stat(target).st_mode & 0o777) == 0o640
    AtomicLocalBackend().put_text('text', target)
    assert target.read_text() == 'text'
    assert leftovers(target.parent) == []


def test_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_bytes(b'x', tmp_path / 'ckpt.pth')
    finally:
        os.umask(umask)
    assert (os.stat(tmp_path / 'ckpt.pth').st_mode & 0o777) == 0o644  # not mkstemp's 0o600


def test_symlinked_target_is_updated_through_the_link(tmp_path):
    real = tmp_path / 'real.pth'
    real.write_bytes(OLD)
    link = tmp_path / 'latest.pth'
    link.symlink_to(real)
    atomic_write_bytes(NEW, link)
    assert link.is_symlink() and real.read_bytes() == NEW


@pytest.mark.parametrize('failure', ['write', 'fsync'])
def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch, failure):
    target = tmp_path / 'ckpt.pth'
    target.write_bytes(OLD)
    if failure == 'write':
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, 'fdopen', lambda *a, **k: TornWriter(real_fdopen(*a, **k)))
    else:  # every byte written, the flush to disk fails
        def failing_fsync(fd):
            raise SimulatedCrash('fsync failed')
        monkeypatch.setattr(os, 'fsync', failing_fsync)
    with pytest.raises(SimulatedCrash):
        AtomicLocalBackend().put(NEW, target)
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []  # the temporary file was removed


def test_stock_local_backend_tears_the_file(tmp_path, monkeypatch):
    """What the atomic backend prevents: MMEngine's put truncates the target first."""
    target = tmp_path / 'ckpt.pth'
    target.write_bytes(OLD)
    monkeypatch.setattr(local_backend_module, 'open',
                        lambda *a, **k: TornWriter(open(*a, **k)), raising=False)
    with pytest.raises(SimulatedCrash):
        LocalBackend().put(NEW, target)
    assert target.read_bytes() == NEW[:len(NEW) // 2]


KILL_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from stdpose_mm.utils import AtomicLocalBackend

    class DieMidWrite:
        def __init__(self, file):
            self.file = file
        def __enter__(self):
            return self
        def __exit__(self, *exc_info):
            return False
        def write(self, data):
            self.file.write(data[:len(data) // 2])
            self.file.flush()
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup code runs after this

    real_fdopen = os.fdopen
    os.fdopen = lambda *a, **k: DieMidWrite(real_fdopen(*a, **k))
    AtomicLocalBackend().put(b'new' * 100000, {target!r})
""")


def test_sigkill_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / 'ckpt.pth'
    target.write_bytes(OLD)
    script = KILL_MID_WRITE.format(repo=str(REPO_ROOT), target=str(target))
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    assert target.read_bytes() == OLD
    # Nothing can clean up after SIGKILL: the partial data sits in a hidden temp file that
    # no checkpoint lookup matches (MMEngine resumes through last_checkpoint / *.pth).
    left = leftovers(tmp_path)
    assert len(left) == 1 and left[0].startswith('.ckpt.pth.') and left[0].endswith('.tmp')


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        outputs = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return {'loss': ((outputs - torch.stack(targets))**2).mean()}
        return outputs


class ToyDataset(Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, index):
        x = torch.tensor([index / 4, 1.0])
        return dict(inputs=x, targets=x.sum().reshape(1))


@pytest.mark.parametrize('backend_args', [None, dict(backend='local')])
def test_runner_checkpoints_go_through_the_atomic_backend(tmp_path, monkeypatch,
                                                          backend_args):
    import stdpose_mm  # noqa: F401  (installs the backend)

    written = []
    real_put = AtomicLocalBackend.put

    def spy_put(self, obj, filepath):
        written.append(os.path.basename(str(filepath)))
        return real_put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', spy_put)
    runner = Runner(
        model=ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=ToyDataset(), sampler=dict(type='DefaultSampler'),
                              batch_size=2, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                           backend_args=backend_args)),
        custom_hooks=[dict(type='SafeCheckpointHook')],
        default_scope='mmpose',
        experiment_name=f'atomic_{backend_args is None}')
    runner.train()
    assert written == ['epoch_1.pth', 'epoch_2.pth']
    for name in written:
        assert 'state_dict' in safe_load_checkpoint(str(tmp_path / name))
    assert not list(tmp_path.glob('.*.tmp'))
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_2.pth')


def test_last_checkpoint_pointer_is_replaced_atomically(tmp_path, monkeypatch):
    from mmengine.hooks import checkpoint_hook

    import stdpose_mm  # noqa: F401  (installs atomic_open)
    from stdpose_mm.utils.atomic_io import atomic_open

    assert checkpoint_hook.open is atomic_open
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text('epoch_1.pth')
    replaced = []
    monkeypatch.setattr(os, 'replace', lambda src, dst: replaced.append(dst) or
                        os.rename(src, dst))
    with checkpoint_hook.open(str(pointer), 'w') as f:
        f.write('epoch_2')
        assert pointer.read_text() == 'epoch_1.pth'  # nothing torn while writing
        f.write('.pth')
    assert pointer.read_text() == 'epoch_2.pth' and replaced
    with pytest.raises(RuntimeError):
        with checkpoint_hook.open(str(pointer), 'w') as f:
            f.write('epoch_')
            raise RuntimeError('killed mid-write')
    assert pointer.read_text() == 'epoch_2.pth'
    with checkpoint_hook.open(str(pointer)) as f:  # reads are the builtin open
        assert f.read() == 'epoch_2.pth'


def test_stale_temp_files_are_removed_when_a_run_starts(tmp_path):
    """Issue 14 (7): the temp file of a killed checkpoint write goes on the next start or
    resume; temp files of live writers (this process, a running one) and others stay."""
    import stdpose_mm  # noqa: F401
    from stdpose_mm.utils.atomic_io import remove_stale_temp_files

    target = tmp_path / 'epoch_3.pth'
    script = KILL_MID_WRITE.format(repo=str(REPO_ROOT), target=str(target))
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    stale = leftovers(tmp_path)
    assert len(stale) == 1
    sleeper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        live = [f'.epoch_4.pth.{os.getpid()}.0123abcd.tmp',
                f'.epoch_5.pth.{sleeper.pid}.89abcdef.tmp']
        unrelated = ['.notes.tmp', f'epoch_6.pth.{os.getpid() + 1}.tmp']
        for name in live + unrelated:
            (tmp_path / name).write_bytes(b'x')
        assert remove_stale_temp_files(tmp_path / 'absent') == []
        runner = Runner(
            model=ToyModel(), work_dir=str(tmp_path),
            train_dataloader=dict(dataset=ToyDataset(), sampler=dict(type='DefaultSampler'),
                                  batch_size=2, num_workers=0),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
            custom_hooks=[dict(type='SafeCheckpointHook')], default_scope='mmpose',
            experiment_name='stale_temp_cleanup')
        runner.train()
        names = set(os.listdir(tmp_path))
        assert stale[0] not in names
        assert set(live + unrelated) <= names
    finally:
        sleeper.kill()
        sleeper.wait()
