"""Run every benchmark tool and write their figures, with the machine, to a markdown file.

``make bench`` runs this: the data pipeline, the training step (single-frame, STDPose-only,
headline model), the CPU training loop's OpenMP wait policy, inference per frame at the CPU
and the paper size, the test step with and without the training-only parts, and memory
over epochs. Each tool runs in its own process with a timeout; each prints its figures
next to the single-frame baseline (or the other variant) measured in the same run, so the
ratios hold across machines even when the absolute figures do not. A tool that fails or
times out is recorded as such and the run exits 1 after writing the file.

Example:
    python tools/run_benchmarks.py --out docs/benchmarks.md
    python tools/run_benchmarks.py --quick --out /tmp/bench.md   # smallest settings
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

MMENGINE_LOG_LINE = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - ')
SINGLE = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'
STDPOSE = 'configs/cpu/stdpose_tiny-hrnet_synthetic.py'
HEADLINE = 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py'


class Step(NamedTuple):
    """One benchmark: a title, the tool, its arguments (full and quick) and a timeout."""
    name: str
    title: str
    tool: str
    args: List[str]
    quick_args: List[str]
    timeout: int


STEPS = [
    Step('pipeline', 'Data pipeline: T=5 video samples vs single-frame samples, 288x384',
         'benchmark_pipeline.py', ['--num-samples', '192', '--workers', '2'],
         ['--num-samples', '8', '--workers', '0', '--batch-size', '4'], 900),
    Step('train', 'Training step: single-frame, STDPose-only and the headline model (CPU '
         'configs, batch 16)', 'benchmark_train.py',
         [SINGLE, STDPOSE, HEADLINE, '--iters', '5', '--warmup', '2'],
         [SINGLE, STDPOSE, HEADLINE, '--iters', '1', '--warmup', '0', '--batch-size', '2'],
         1800),
    Step('train-loop', 'Training loop on CPU (Runner, 2 dataloader workers): OpenMP wait '
         'policy, idle and beside a busy process', 'benchmark_train_loop.py',
         [STDPOSE, '--iters', '8'],
         [STDPOSE, '--iters', '1', '--warmup', '0', '--batch-size', '2', '--workers', '0',
          '--busy', '0'], 1800),
    Step('inference-cpu', 'Inference per frame, CPU size (tiny HRNet 128x96)',
         'benchmark_inference.py', ['--size', 'cpu', '--frames', '30'],
         ['--size', 'cpu', '--frames', '6', '--warmup', '1', '--persons', '1'], 900),
    Step('inference-paper', 'Inference per frame, paper size (HRNet-W48 384x288)',
         'benchmark_inference.py', ['--size', 'paper', '--frames', '8', '--persons', '2'],
         ['--size', 'paper', '--frames', '1', '--warmup', '0', '--persons', '1'], 1800),
    Step('test-step', 'Test step of the headline model with and without its training-only '
         'parts (same weights)', 'benchmark_test_step.py', [HEADLINE],
         [HEADLINE, '--batch-size', '2', '--iters', '1', '--warmup', '0'], 900),
    Step('memory', 'Memory over training epochs (STDPose-only CPU config)',
         'benchmark_memory.py', [STDPOSE, '--epochs', '2', '--max-iters', '30'],
         [STDPOSE, '--epochs', '1', '--max-iters', '2',
          '--cfg-options', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
          'train_dataloader.persistent_workers=False'], 1800),
]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs/benchmarks.md', help='markdown file to write')
    parser.add_argument('--only', nargs='+', choices=[s.name for s in STEPS],
                        help='run these steps only')
    parser.add_argument('--quick', action='store_true',
                        help='smallest settings (checks the tools run, figures meaningless)')
    parser.add_argument('--work-dir', default=None,
                        help='working folder of the tools (default: a temporary one)')
    return parser.parse_args(argv)


def run_step(step: Step, quick: bool, work_dir: str) -> Dict:
    """Run one tool with a timeout; its figures are its stdout (json lines dropped)."""
    args = step.quick_args if quick else step.args
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', step.tool), *args]
    if step.tool == 'benchmark_memory.py':
        command += ['--work-dir', osp.join(work_dir, 'benchmark_memory')]
    shown = ' '.join(['python', f'tools/{step.tool}', *args])
    print(f'[run_benchmarks] {step.name}: {shown}', flush=True)
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=step.timeout)
        status = 'ok' if result.returncode == 0 else f'failed (exit {result.returncode})'
        stdout, stderr = result.stdout, result.stderr
    except subprocess.TimeoutExpired as expired:
        status = f'timed out after {step.timeout} s'
        stdout = expired.stdout or ''
        stderr = expired.stderr or ''
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
        stderr = stderr.decode() if isinstance(stderr, bytes) else stderr
    # The tools' tables; json lines and MMEngine's log lines (dataset pre-checks) dropped.
    figures = '\n'.join(line for line in stdout.splitlines()
                        if not line.lstrip().startswith(('{', '[{'))
                        and not MMENGINE_LOG_LINE.match(line))
    if status != 'ok':
        figures += '\n' + '\n'.join(stderr.strip().splitlines()[-15:])
        print(f'[run_benchmarks] {step.name}: {status}', file=sys.stderr, flush=True)
    return dict(step=step, command=shown, status=status, figures=figures.strip(),
                seconds=time.perf_counter() - start)


def render(results: List[Dict], machine: Dict[str, str], quick: bool) -> str:
    """The markdown page: machine, then each benchmark's command and figures."""
    lines = ['# Benchmarks', '',
             'Written by `make bench` (`python tools/run_benchmarks.py`); do not edit by hand. '
             'Every table compares against the single-frame baseline measured in the same run: '
             'ratios are what carries over to other machines.', '']
    if quick:
        lines += ['**Quick settings (`--quick`): the figures only show that the tools run.**', '']
    lines += ['| machine | |', '|---|---|']
    lines += [f'| {key} | {value} |' for key, value in machine.items()]
    for result in results:
        step = result['step']
        lines += ['', f'## {step.title}', '', f'`{result["command"]}` — {result["status"]}, '
                  f'{result["seconds"]:.0f} s', '', '```', result['figures'] or '(no output)',
                  '```']
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> int:
    import tempfile

    from stdpose_mm.utils.atomic_io import atomic_write_bytes
    from stdpose_mm.utils.benchmarking import machine_info

    args = parse_args(argv)
    steps = [s for s in STEPS if not args.only or s.name in args.only]
    machine = machine_info()
    machine['OMP_NUM_THREADS'] = os.environ.get('OMP_NUM_THREADS', '(unset)')
    with tempfile.TemporaryDirectory() as scratch:
        results = [run_step(step, args.quick, args.work_dir or scratch) for step in steps]
    atomic_write_bytes(render(results, machine, args.quick).encode(), args.out)
    failed = [r['step'].name for r in results if r['status'] != 'ok']
    print(f'[run_benchmarks] wrote {args.out}' + (f'; failed: {", ".join(failed)}'
                                                   if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
