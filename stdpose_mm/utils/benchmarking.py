"""What every benchmark tool shares: data that exists, children that cannot hang, and a
description of the machine the figures come from."""
import datetime
import multiprocessing as mp
import os
import os.path as osp
import platform
import queue as queue_module
import time
import traceback
from typing import Any, Callable, Dict, Optional, Sequence

# Train annotation file a PoseTrack18-layout root must hold to count as data.
TRAIN_ANN = 'annotations/posetrack18_train.json'
# The small set generated when no data root is given: enough samples for a batch of 32
# windows per split, generated in a few seconds.
SMALL_SET = dict(num_videos={'train': 4, 'val': 2}, num_frames=12, image_size=(320, 240))


class BenchmarkError(RuntimeError):
    """A measurement failed: its child died, raised or ran past its timeout."""


def has_posetrack_data(data_root: Optional[str]) -> bool:
    """Whether ``data_root`` holds a PoseTrack18-layout train annotation file."""
    return bool(data_root) and osp.isfile(osp.join(data_root, TRAIN_ANN))


def ensure_data_root(data_root: Optional[str], scratch_dir: str, label: str) -> str:
    """``data_root`` if it holds PoseTrack data, else a small synthetic set in ``scratch_dir``.

    Args:
        data_root (str, optional): The requested root (a config's or the user's).
        scratch_dir (str): A temporary folder the caller removes.
        label (str): Tool name for the message.

    Returns:
        str: A root ending in '/' that holds ``annotations/posetrack18_{train,val}.json``.
    """
    if has_posetrack_data(data_root):
        return data_root.rstrip('/') + '/'
    from stdpose_mm.datasets.synthetic import generate_posetrack

    out_dir = osp.join(scratch_dir, 'synthetic_posetrack')
    print(f'[{label}] no PoseTrack data at {data_root!r}: generated a small synthetic set '
          f'in {out_dir} ({SMALL_SET["num_videos"]} videos of {SMALL_SET["num_frames"]} '
          'frames); figures measure compute, not this data', flush=True)
    generate_posetrack(out_dir, label_stride=1, seed=0, **SMALL_SET)
    return out_dir + '/'


def _child(target: Callable[..., Any], args: Sequence, results: 'mp.Queue') -> None:
    try:
        results.put(('ok', target(*args)))
    except BaseException as error:  # reported to the parent, which exits non-zero
        results.put(('error', f'{type(error).__name__}: {error}\n{traceback.format_exc()}'))
        raise SystemExit(1)


def run_in_child(target: Callable[..., Any], args: Sequence = (), timeout: float = 600.,
                 label: str = 'measurement') -> Any:
    """Run ``target(*args)`` in a fresh (spawned) process and return its result.

    A separate process gives each measurement its own peak memory and thread settings.
    Never hangs: the parent polls the child, so a child that raises, dies (killed, out of
    memory) or runs past ``timeout`` seconds is a :class:`BenchmarkError` with the
    child's error, not a wait on a queue that will never be filled.

    Args:
        target (callable): A picklable module-level function; its return value must be
            picklable.
        args (Sequence): Its arguments.
        timeout (float): Seconds before the child is killed.
        label (str): Name of the measurement for the error message.

    Returns:
        Any: What ``target`` returned.
    """
    context = mp.get_context('spawn')
    results = context.Queue()
    # Not a daemon: a measurement may start its own workers (DataLoader); it is killed below.
    process = context.Process(target=_child, args=(target, tuple(args), results))
    process.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                status, payload = results.get(timeout=1.0)
                break
            except queue_module.Empty:
                pass
            if not process.is_alive():
                try:  # it may have put its result just before exiting
                    status, payload = results.get(timeout=1.0)
                    break
                except queue_module.Empty:
                    raise BenchmarkError(f'{label}: the measuring process died with exit '
                                         f'code {process.exitcode} and no result')
            if time.monotonic() > deadline:
                raise BenchmarkError(f'{label}: no result after {timeout:.0f} s (timeout)')
    finally:
        if process.is_alive():
            process.join(timeout=5.0)
        if process.is_alive():
            process.kill()
            process.join()
    if status == 'error':
        raise BenchmarkError(f'{label} failed in its process: {payload}')
    return payload


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> Dict[str, str]:
    """Date, CPU, usable cores, torch version and threads, and the GPU if there is one."""
    import torch

    info = {
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'cpu': cpu_model(),
        'cores usable': str(len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity')
                            else os.cpu_count()),
        'torch': torch.__version__,
        'torch threads': str(torch.get_num_threads()),
        'python': platform.python_version(),
    }
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(0)
    return info


def install_timeout(seconds: float, label: str) -> None:
    """Make this process fail with :class:`BenchmarkError` after ``seconds`` (SIGALRM).

    For tools that measure in their own process: a stuck measurement ends with an error
    and a non-zero exit instead of waiting forever. No-op where SIGALRM does not exist.

    Args:
        seconds (float): Wall-clock limit; <= 0 disables it.
        label (str): Tool name for the error message.
    """
    import signal

    if seconds <= 0 or not hasattr(signal, 'SIGALRM'):
        return

    def _expired(signum, frame):
        raise BenchmarkError(f'{label}: no result after {seconds:.0f} s (timeout)')

    signal.signal(signal.SIGALRM, _expired)
    signal.alarm(int(max(1, seconds)))


def run_with_scratch(run: Callable[[Any, str], None], args: Any, label: str) -> None:
    """``run(args, scratch)``: under :func:`install_timeout` (``args.timeout`` seconds) and
    with a temporary scratch folder, removed afterwards (the ``main`` of a benchmark tool).

    Args:
        run: The measurement; ``scratch`` holds whatever it generates (data, work dirs).
        args: The parsed command line (with ``timeout``).
        label (str): Tool name for the timeout message.
    """
    import tempfile

    install_timeout(args.timeout, label)
    with tempfile.TemporaryDirectory() as scratch:
        run(args, scratch)
