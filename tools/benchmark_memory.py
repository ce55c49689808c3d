"""Memory over training epochs: does the main process's RSS stay flat?

Trains CONFIG through MMEngine's ``Runner`` (validation off) with a probe hook that reads
the current RSS (``VmRSS`` of ``/proc/self/status``), the peak RSS
(``resource.getrusage``) and the dataloader workers' current RSS at the start of each
epoch, after its first iteration, in its middle and after its last iteration. Prints them
with the growth over each epoch: from the start (includes the one-off allocations of the
first step: optimizer state, autograd buffers, worker start-up) and from the first
iteration on (the steady-state growth a leak would show as). Without PoseTrack data at
``--data-root`` (or the config's) a small synthetic set is generated in a temporary folder;
``--timeout`` ends a stuck run with an error.

Example:
    python tools/benchmark_memory.py configs/cpu/stdpose_tiny-hrnet_synthetic.py \
        --data-root data/synthetic_posetrack --epochs 1 --max-iters 100
"""
import argparse
import json
import os
import os.path as osp
import resource
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from stdpose_mm.utils.benchmarking import ensure_data_root, run_with_scratch  # noqa: E402

MB = 1024.0  # /proc and getrusage report kB on Linux


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='training config')
    parser.add_argument('--data-root', default=None,
                        help='dataset root (PoseTrack18 layout); default: the config\'s')
    parser.add_argument('--epochs', type=int, default=1, help='epochs to train')
    parser.add_argument('--max-iters', type=int, default=None,
                        help='iterations per epoch: trains on the first max_iters x '
                        'batch_size samples (dataset `indices`)')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/benchmark_memory/<config name>')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='key=value overrides of the config (as in tools/train.py)')
    parser.add_argument('--timeout', type=float, default=1800,
                        help='seconds before the run fails (default: 1800)')
    return parser.parse_args()


def current_rss_mb(pid: str = 'self') -> Optional[float]:
    """``VmRSS`` of a process in MB (None if it is gone or has no memory line)."""
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / MB
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak RSS of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB


def children_rss_mb() -> float:
    """Summed RSS of this process's live children (dataloader workers), in MB.

    Pages the forked workers still share with the main process are counted again here.
    """
    me, total = os.getpid(), 0.0
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/stat') as f:
                # The command name is in parentheses and may contain spaces.
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me:
            total += current_rss_mb(pid) or 0.0
    return total


class MemoryProbeHook(Hook):
    """Records RSS at fixed points of every training epoch.

    Args:
        records (list): Receives one dict per probe (epoch, point, iter, rss, peak,
            workers' rss).
    """

    priority = 'LOWEST'  # after the other hooks of the same stage

    def __init__(self, records: List[Dict]) -> None:
        self.records = records
        self.num_iters = 0

    def _probe(self, runner, point: str, batch_idx: int) -> None:
        self.records.append(dict(epoch=runner.epoch + 1, point=point, iter=batch_idx,
                                 rss_mb=current_rss_mb(), peak_mb=peak_rss_mb(),
                                 workers_mb=children_rss_mb()))

    def before_train_epoch(self, runner) -> None:
        self.num_iters = len(runner.train_dataloader)
        self._probe(runner, 'start', 0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        done = batch_idx + 1
        if done == 1:
            self._probe(runner, 'after iter 1', done)
        if done == max(self.num_iters // 2, 1) and done > 1:
            self._probe(runner, 'middle', done)
        if done == self.num_iters and done > 1:
            self._probe(runner, 'end', done)


def build_config(args: argparse.Namespace, scratch: str):
    """The config with the data root, epochs and iteration cap applied, validation off."""
    from mmengine import Config

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    root = ensure_data_root(args.data_root or cfg.train_dataloader.dataset.get('data_root'),
                            scratch, 'benchmark_memory')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            cfg[loader].dataset.data_root = root
    cfg.train_cfg.max_epochs = args.epochs
    cfg.train_cfg.val_begin = args.epochs + 1  # memory of training only
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.max_iters:
        cfg.train_dataloader.dataset.indices = args.max_iters * cfg.train_dataloader.batch_size
    cfg.log_level = 'WARNING'  # the table only, not the Runner's config dump
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', 'benchmark_memory', osp.splitext(osp.basename(args.config))[0])
    return cfg


def main() -> None:
    args = parse_args()
    run_with_scratch(run, args, 'benchmark_memory')


def run(args: argparse.Namespace, scratch: str) -> None:
    from mmengine.runner import Runner
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401  (registers the plugin)

    register_all_modules()
    cfg = build_config(args, scratch)
    runner = Runner.from_cfg(cfg)
    records: List[Dict] = []
    runner.register_hook(MemoryProbeHook(records))
    runner.train()

    print(f'config: {args.config}; {args.epochs} epoch(s) of {len(runner.train_dataloader)} '
          f'iterations, batch {cfg.train_dataloader.batch_size}, '
          f'{cfg.train_dataloader.num_workers} worker(s)')
    print(f'{"epoch":>5}  {"point":<13}{"iter":>6}{"RSS MB":>10}{"peak RSS MB":>13}'
          f'{"workers RSS MB":>16}')
    for r in records:
        print(f'{r["epoch"]:>5}  {r["point"]:<13}{r["iter"]:>6}{r["rss_mb"]:>10.0f}'
              f'{r["peak_mb"]:>13.0f}{r["workers_mb"]:>16.0f}')
    summary = []
    for epoch in sorted({r['epoch'] for r in records}):
        points = {r['point']: r for r in records if r['epoch'] == epoch}
        start, first = points['start'], points['after iter 1']
        end = points.get('end', first)
        row = dict(epoch=epoch, start_rss_mb=start['rss_mb'], end_rss_mb=end['rss_mb'],
                   start_peak_mb=start['peak_mb'], end_peak_mb=end['peak_mb'],
                   growth_rss_mb=end['rss_mb'] - start['rss_mb'],
                   growth_after_iter1_mb=end['rss_mb'] - first['rss_mb'],
                   growth_peak_mb=end['peak_mb'] - start['peak_mb'],
                   growth_workers_mb=end['workers_mb'] - first['workers_mb'])
        summary.append(row)
        print(f'epoch {epoch}: RSS {row["start_rss_mb"]:.0f} -> {row["end_rss_mb"]:.0f} MB '
              f'({row["growth_rss_mb"]:+.0f} MB; {row["growth_after_iter1_mb"]:+.0f} MB after '
              f'iteration 1), peak {row["start_peak_mb"]:.0f} -> {row["end_peak_mb"]:.0f} MB '
              f'({row["growth_peak_mb"]:+.0f} MB), workers {row["growth_workers_mb"]:+.0f} MB '
              'after iteration 1')
    print(json.dumps(dict(records=records, summary=summary)))


if __name__ == '__main__':
    main()
