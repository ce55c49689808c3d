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
ATOMIC = dict(backend='atomic_local')
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


def test_atomic_backend_is_named_and_local_is_left_alone():
    import stdpose_mm  # noqa: F401

    # MMEngine's own 'local' backend and plain paths are untouched by the import ...
    assert type(get_file_backend('/tmp/epoch_1.pth')) is LocalBackend
    assert type(get_file_backend('/tmp/epoch_1.pth',
                                 backend_args=dict(backend='local'))) is LocalBackend
    # ... and the atomic one is there under its own name, which the configs select.
    assert type(get_file_backend('/tmp/epoch_1.pth',
                                 backend_args=dict(backend='atomic_local'))) is AtomicLocalBackend


def test_configs_save_checkpoints_through_the_atomic_backend():
    """Every config that saves checkpoints names the atomic backend (the import no longer
    makes MMEngine's 'local' backend atomic for them)."""
    from mmengine.config import Config

    checked = 0
    for path in sorted((REPO_ROOT / 'configs').rglob('*.py')):
        cfg = Config.fromfile(str(path), import_custom_modules=False)
        checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
        if checkpoint is None:
            continue
        assert (checkpoint.get('backend_args') or {}).get('backend') == 'atomic_local', path
        checked += 1
    assert checked >= 20


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


def _toy_runner(work_dir, name, max_epochs, backend_args=ATOMIC, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyDataset(), sampler=dict(type='DefaultSampler'),
                              batch_size=2, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                           backend_args=backend_args)),
        custom_hooks=[dict(type='SafeCheckpointHook')],
        default_scope='mmpose',
        resume=resume,
        experiment_name=name)


@pytest.mark.parametrize('backend_args', [ATOMIC, None])
def test_runner_checkpoints_go_through_the_named_atomic_backend(tmp_path, monkeypatch,
                                                                backend_args):
    import stdpose_mm  # noqa: F401  (registers the backend)

    written = []
    real_put = AtomicLocalBackend.put

    def spy_put(self, obj, filepath):
        written.append(os.path.basename(str(filepath)))
        return real_put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', spy_put)
    runner = _toy_runner(tmp_path, f'atomic_{backend_args is None}', 2, backend_args)
    runner.train()
    # Only a config that names the backend gets it: the import changes no default.
    assert written == (['epoch_1.pth', 'epoch_2.pth'] if backend_args else [])
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        assert 'state_dict' in safe_load_checkpoint(str(tmp_path / name))
    assert not list(tmp_path.glob('.*.tmp'))
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_2.pth')


def test_import_leaves_checkpoint_hook_open_alone():
    """No builtin is shadowed inside MMEngine's checkpoint hook module."""
    from mmengine.hooks import checkpoint_hook

    import stdpose_mm  # noqa: F401

    assert 'open' not in vars(checkpoint_hook)


@pytest.mark.parametrize('torn', ['', 'work/epoch_', '\x00\x00'])
def test_torn_last_checkpoint_is_repaired_before_resume(tmp_path, torn):
    """A run killed while CheckpointHook wrote ``last_checkpoint`` (plain ``open``) leaves
    it empty or cut short; the next ``--resume`` start points it at the newest
    checkpoint instead of failing on a path that does not exist."""
    import stdpose_mm  # noqa: F401

    _toy_runner(tmp_path, 'first', 1).train()
    pointer = tmp_path / 'last_checkpoint'
    assert pointer.read_text().endswith('epoch_1.pth')
    pointer.write_text(torn)
    runner = _toy_runner(tmp_path, 'resumed', 2, resume=True)
    runner.train()
    assert runner.epoch == 2 and runner.iter == 4  # resumed after epoch 1, ran epoch 2
    assert pointer.read_text().endswith('epoch_2.pth')


def test_repair_leaves_a_good_or_missing_pointer_alone(tmp_path):
    from stdpose_mm.engine.hooks.safe_checkpoint_hook import repair_last_checkpoint

    (tmp_path / 'epoch_1.pth').write_bytes(b'x')
    assert repair_last_checkpoint(str(tmp_path), [str(tmp_path)]) is None  # no pointer
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text(str(tmp_path / 'epoch_1.pth'))
    (tmp_path / 'epoch_2.pth').write_bytes(b'x')
    assert repair_last_checkpoint(str(tmp_path), [str(tmp_path)]) is None  # names a file
    assert pointer.read_text() == str(tmp_path / 'epoch_1.pth')
    pointer.write_text(str(tmp_path / 'epoch_'))
    assert repair_last_checkpoint(str(tmp_path), [str(tmp_path)]) in {
        str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'epoch_2.pth')}


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
        _toy_runner(tmp_path, 'stale_temp_cleanup', 1).train()
        names = set(os.listdir(tmp_path))
        assert stale[0] not in names
        assert set(live + unrelated) <= names
    finally:
        sleeper.kill()
        sleeper.wait()
