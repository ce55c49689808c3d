"""Kill a training run with SIGKILL mid-epoch, ``--resume`` it, and get the same run.

What makes the resumed run exact (all set below, explained here):

* ``randomness.seed=0``: MMEngine seeds the main process once, at ``Runner`` start, and
  seeds ``DefaultSampler`` with ``seed + epoch``, so the sample order of every epoch is a
  function of the epoch alone; the resumed run recomputes it for the resumed epoch.
* ``train_dataloader.num_workers=1`` and ``persistent_workers=False``: the augmentation
  randomness (flip, half-body, scale/rotation, photometric noise) is then drawn in a
  worker process that MMEngine's ``worker_init_fn`` seeds (``random``, numpy *and* torch)
  with ``seed + worker_id`` (+ rank) whenever the workers start, i.e. at the start of
  every epoch, whatever happened before. With ``num_workers=0`` the pipeline would draw
  from the main process's generators, whose state is not saved in checkpoints: the
  resumed run would restart them from the seed while the uninterrupted run has consumed
  them for the earlier epochs, so augmentations (and losses) would differ after resume.
  Persistent workers would keep their generators across epochs, with the same problem.
* The model draws no random numbers in training (the TFF transformer's dropout is 0;
  the combined model's tube masking would need the same care), so the main-process
  generators never matter for the loss; optimizer, scheduler and message hub state are
  in the checkpoint.
* ``randomness.deterministic=True`` (cuDNN; a no-op on CPU) and the same thread count
  (``OMP_NUM_THREADS``) for every run, so floating-point reductions happen in the same
  order.
* ``log_processor.window_size=1``: MMEngine logs the loss averaged over the last
  ``window_size`` iterations (50 in MMPose's runtime); a window of 1 logs each
  iteration's own loss, so ``vis_data/scalars.json`` can be compared step by step.

Small settings keep it quick: 6 samples in batches of 2 (3 iterations per epoch), 3
epochs, no validation, both first runs side by side with one thread each.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
import torch

from stdpose_mm.utils import safe_load_checkpoint

from .e2e_utils import REPO_ROOT, data_overrides

CONFIG = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'
ITERS_PER_EPOCH = 3
MAX_EPOCHS = 3


def train_command(data_root: Path, work_dir: Path, *extra: str) -> List[str]:
    """``tools/train.py`` on the tiny set with the settings explained in the docstring."""
    options = data_overrides(data_root, batch_size=2) + [
        f'train_cfg.max_epochs={MAX_EPOCHS}',
        'train_cfg.val_begin=1000',  # no validation: not what is tested, and slow
        f'train_dataloader.dataset.indices={2 * ITERS_PER_EPOCH}',
        'default_hooks.checkpoint.interval=1',
        'randomness.seed=0', 'randomness.deterministic=True',
        'train_dataloader.num_workers=1', 'train_dataloader.persistent_workers=False',
        'log_processor.window_size=1',
    ]
    return [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), CONFIG, '--work-dir',
            str(work_dir), *extra, '--cfg-options', *options]


@pytest.fixture
def start():
    """Start ``tools/train.py`` runs; any still running at teardown is killed."""
    processes: List[subprocess.Popen] = []

    def _start(command: List[str], log_file: Path) -> subprocess.Popen:
        # One thread per run: the two first runs share 2 cores without oversubscription.
        env = dict(os.environ, PYTHONHASHSEED='0', OMP_NUM_THREADS='1')
        with open(log_file, 'w') as log:
            # Own process group: SIGKILL reaches the dataloader worker too (a crash).
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        return process

    yield _start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def logged_runs(work_dir: Path) -> List[List[Dict]]:
    """Training records of each run in ``work_dir`` (``<timestamp>/vis_data/scalars.json``).

    Returns:
        list[list[dict]]: One list per run, oldest run first.
    """
    runs = []
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        records = []
        for line in scalars.read_text().splitlines():
            # A run killed mid-write can leave a partial last line: skip it.
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if 'loss' in record:
                records.append(record)
        runs.append(records)
    return runs


def wait(process: subprocess.Popen, log_file: Path, timeout: float = 600) -> None:
    process.wait(timeout=timeout)
    assert process.returncode == 0, log_file.read_text()[-3000:]


def test_sigkill_then_resume_matches_uninterrupted_run(tiny_posetrack, tmp_path, start):
    reference_dir, killed_dir = tmp_path / 'reference', tmp_path / 'killed'
    reference = start(train_command(tiny_posetrack, reference_dir), tmp_path / 'ref.log')
    killed = start(train_command(tiny_posetrack, killed_dir), tmp_path / 'killed.log')
    # Kill once epoch 1 is checkpointed and epoch 2 has logged an iteration.
    deadline = time.monotonic() + 600
    while not ((killed_dir / 'epoch_1.pth').is_file()
               and any(r['epoch'] == 2 for run in logged_runs(killed_dir) for r in run)):
        assert killed.poll() is None, (tmp_path / 'killed.log').read_text()[-3000:]
        assert time.monotonic() < deadline, 'epoch 2 never started'
        time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL

    # No half-written checkpoint: every file there loads (weights_only), and the pointer
    # MMEngine resumes from names one of them. (A kill during a save would leave only a
    # hidden '.epoch_N.pth.<pid>.<random>.tmp', which '*.pth' does not match.)
    checkpoints = sorted(killed_dir.glob('*.pth'))
    assert checkpoints
    for checkpoint in checkpoints:
        assert 'state_dict' in safe_load_checkpoint(str(checkpoint)), checkpoint
    resume_from = Path((killed_dir / 'last_checkpoint').read_text().strip())
    assert resume_from in checkpoints
    resume_epoch = int(resume_from.stem.split('_')[1])
    assert resume_epoch in (1, 2)  # 2 only if the kill landed after epoch 2's last step

    resumed = start(train_command(tiny_posetrack, killed_dir, '--resume'),
                    tmp_path / 'resumed.log')
    wait(resumed, tmp_path / 'resumed.log')
    wait(reference, tmp_path / 'ref.log')
    assert f'Auto resumed from the latest checkpoint {resume_from}' in (
        tmp_path / 'resumed.log').read_text()

    (reference_run, ) = logged_runs(reference_dir)
    expected = {r['step']: r['loss'] for r in reference_run}
    assert sorted(expected) == list(range(1, MAX_EPOCHS * ITERS_PER_EPOCH + 1))
    killed_run, resumed_run = logged_runs(killed_dir)
    assert max(r['step'] for r in killed_run) > 1 * ITERS_PER_EPOCH  # killed in epoch 2+
    first_step = resume_epoch * ITERS_PER_EPOCH + 1
    assert [r['step'] for r in resumed_run] == list(
        range(first_step, MAX_EPOCHS * ITERS_PER_EPOCH + 1))
    for record in resumed_run:
        assert abs(record['loss'] - expected[record['step']]) <= 1e-6, (
            f"step {record['step']}: resumed loss {record['loss']} != "
            f"uninterrupted {expected[record['step']]}")

    # And the runs end with the same weights.
    final = f'epoch_{MAX_EPOCHS}.pth'
    reference_weights = safe_load_checkpoint(str(reference_dir / final))['state_dict']
    resumed_weights = safe_load_checkpoint(str(killed_dir / final))['state_dict']
    assert reference_weights.keys() == resumed_weights.keys()
    for name, value in reference_weights.items():
        torch.testing.assert_close(resumed_weights[name], value, rtol=0, atol=1e-6,
                                   msg=lambda m, name=name: f'{name}: {m}')
