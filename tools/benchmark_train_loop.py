"""The real training loop on CPU, before and after sizing torch's threads, in one run.

Trains CONFIG through MMEngine's ``Runner`` (dataloader workers, hooks, optimizer: what
``tools/train.py`` runs) for ``--iters`` iterations, twice, each in its own process:
(a) torch's default intra-op threads (one per core), as before ``CpuThreadsHook``;
(b) the config as it is (``CpuThreadsHook``: cores minus dataloader workers).
Prints ms/iteration after ``--warmup`` iterations and the main process's CPU use. Without
PoseTrack data at ``--data-root`` (or the config's) a small synthetic set is generated.

Example:
    python tools/benchmark_train_loop.py configs/cpu/stdpose_tiny-hrnet_synthetic.py
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

# torch before stdpose_mm: the package then leaves OMP_WAIT_POLICY alone, and each
# measuring process (spawned, it imports this file first) gets the policy its variant sets.
import torch  # noqa: E402,F401

from stdpose_mm.utils.benchmarking import BenchmarkError, ensure_data_root, run_in_child  # noqa: E402
from stdpose_mm.utils.cli import fail  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--iters', type=int, default=12, help='iterations per variant')
    parser.add_argument('--warmup', type=int, default=2, help='untimed first iterations')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--workers', type=int, default=None, help='default: the config\'s')
    parser.add_argument('--busy', type=int, default=1,
                        help='busy processes beside the loaded variants (default: 1)')
    parser.add_argument('--timeout', type=float, default=1200, help='seconds per variant')
    return parser.parse_args()


def _spin(stop) -> None:
    """A busy process as a second experiment or a test run is: small torch ops on the
    default thread pool (with the wait policy of the variant) until ``stop`` is set."""
    import torch

    weights = torch.randn(128, 128)
    while not stop.is_set():
        for _ in range(50):
            weights = torch.tanh(weights @ weights) * 0.5


def _train(config: str, args: argparse.Namespace, data_root: str, work_dir: str) -> dict:
    from mmengine import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401

    register_all_modules()
    cfg = Config.fromfile(config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            cfg[loader].dataset.data_root = data_root
    loader = cfg.train_dataloader
    if args.batch_size:
        loader.batch_size = args.batch_size
    if args.workers is not None:
        loader.num_workers = args.workers
        loader.persistent_workers = args.workers > 0
    loader.dataset.indices = loader.batch_size * (args.iters + args.warmup)
    cfg.train_cfg.max_epochs = 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'  # the table only, not the Runner's config dump

    class Clock(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if batch_idx == args.warmup:
                self.start, self.cpu = time.perf_counter(), os.times()

        def after_train(self, runner):
            wall = time.perf_counter() - self.start
            now = os.times()
            self.result = dict(
                ms_per_iter=wall / args.iters * 1000, threads=torch.get_num_threads(),
                main_cpu_percent=100 * (now.user - self.cpu.user + now.system
                                        - self.cpu.system) / wall,
                workers=loader.num_workers, batch_size=loader.batch_size)

    clock = Clock()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(clock)
    runner.train()
    return clock.result


def main():
    import multiprocessing as mp

    args = parse_args()
    for name in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY'):
        if name in os.environ:
            print(f'note: {name}={os.environ[name]} is set here; each variant sets its own '
                  'wait policy')
    policy = os.environ.pop('OMP_WAIT_POLICY', None)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        from mmengine import Config
        data_root = ensure_data_root(
            args.data_root or Config.fromfile(args.config).train_dataloader.dataset.get(
                'data_root'), scratch, 'benchmark_train_loop')
        loads = [(0, 'idle machine')]
        if args.busy:
            loads.append((args.busy, f'{args.busy} busy process(es)'))
        variants = [(f'{wait}, {load}', wait, busy) for busy, load in loads
                    for wait in ('(a) default (spinning)', '(b) PASSIVE')]
        for name, wait, busy in variants:
            os.environ.pop('OMP_WAIT_POLICY', None)
            if 'PASSIVE' in wait:
                os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'  # read by the child's OpenMP
            stop = mp.get_context('spawn').Event()
            spinners = [mp.get_context('spawn').Process(target=_spin, args=(stop, ))
                        for _ in range(busy)]
            for spinner in spinners:
                spinner.start()
            try:
                result = run_in_child(_train, (args.config, args, data_root,
                                               osp.join(scratch, f'work_{len(rows)}')),
                                      timeout=args.timeout, label=name)
            except BenchmarkError as error:
                fail(error, code=1)
            finally:
                stop.set()
                for spinner in spinners:
                    spinner.join()
            rows.append((name, result))
    if policy is not None:
        os.environ['OMP_WAIT_POLICY'] = policy
    first = rows[0][1]
    print(f'config: {args.config}; batch {first["batch_size"]}, {first["workers"]} dataloader '
          f'worker(s), {first["threads"]} torch threads, {args.iters} iterations after '
          f'{args.warmup}')
    print('| OpenMP wait policy, load | ms/iter | main process CPU % | x first row |')
    print('|---|---:|---:|---:|')
    for name, row in rows:
        print(f'| {name} | {row["ms_per_iter"]:.0f} | {row["main_cpu_percent"]:.0f} | '
              f'{row["ms_per_iter"] / first["ms_per_iter"]:.2f} |')


if __name__ == '__main__':
    main()
