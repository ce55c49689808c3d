"""Training-step cost: a single-frame model next to T-frame models, in one run.

Each model trains ``--iters`` steps (after ``--warmup``) on one real batch from its own
config's pipeline, in its own subprocess so peak memory is its own. Prints ms/step,
samples/s and peak memory (CUDA max allocated on GPU, peak RSS on CPU) and each model's
ratio to the first one. Without PoseTrack data at ``--data-root`` (or the config's
``data_root``) a small synthetic set is generated in a temporary folder. A child that
fails or runs past ``--timeout`` seconds ends the tool with its error and exit code 1.

Example:
    python tools/benchmark_train.py configs/cpu/td-hm_tiny-hrnet_synthetic.py \
        configs/cpu/stdpose_tiny-hrnet_synthetic.py --data-root data/synthetic_posetrack
"""
import argparse
import json
import os.path as osp
import resource
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.benchmarking import BenchmarkError, ensure_data_root, run_in_child  # noqa: E402
from stdpose_mm.utils.cli import fail  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='configs to compare (first = reference)')
    parser.add_argument('--data-root', default=None,
                        help='PoseTrack18-layout root; default: the first config\'s, or a '
                        'generated synthetic set when it holds no data')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default=None, help='default: cuda when available')
    parser.add_argument('--amp', action='store_true', help='autocast fp16 (GPU)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads in each child (default: torch\'s)')
    parser.add_argument('--timeout', type=float, default=900,
                        help='seconds per model before its child is killed (default: 900)')
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='key=value overrides applied to every config')
    return parser.parse_args()


def _measure(config: str, args: argparse.Namespace, data_root: str) -> dict:
    import torch
    from mmengine import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmpose.registry import DATASETS, MODELS
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401

    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(config)
    if args.cfg_options:
        cfg.merge_from_dict(dict(option.split('=', 1) for option in args.cfg_options))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = data_root
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[i % len(dataset)] for i in range(batch_size)])
    model = MODELS.build(cfg.model).to(args.device).train()
    optim_cfg = dict(cfg.optim_wrapper)
    if args.amp:
        optim_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    num_frames = 1
    for step in range(args.warmup + args.iters):
        if step == args.warmup:
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
        losses = model.train_step(batch, optim_wrapper)
        del losses
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds = (time.perf_counter() - start) / args.iters
    inputs = batch['inputs'][0]
    num_frames = inputs.shape[0] if inputs.dim() == 4 else 1
    return dict(config=config, ms_per_step=seconds * 1000, samples_per_s=batch_size / seconds,
                peak_mb=peak_mb, batch_size=batch_size, num_frames=num_frames,
                input_hw=list(inputs.shape[-2:]), threads=torch.get_num_threads(),
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)


def config_data_root(config: str) -> str:
    """The ``data_root`` of a config's training set."""
    from mmengine import Config

    return Config.fromfile(config).train_dataloader.dataset.get('data_root', '')


def main():
    args = parse_args()
    import torch

    args.device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        data_root = ensure_data_root(args.data_root or config_data_root(args.configs[0]),
                                     scratch, 'benchmark_train')
        for config in args.configs:
            try:
                results.append(run_in_child(_measure, (config, args, data_root),
                                            timeout=args.timeout, label=config))
            except BenchmarkError as error:
                fail(error, code=1)
    device = (torch.cuda.get_device_name(0) if args.device.startswith('cuda') else
              f'CPU ({results[0]["threads"]} threads)')
    memory = 'peak CUDA MB' if args.device.startswith('cuda') else 'peak RSS MB'
    print(f'device: {device}; amp: {args.amp}; {args.iters} steps after {args.warmup} warm-up')
    print(f'{"config":<58}{"T":>3}{"batch":>6}{"input":>10}{"params M":>9}{"ms/step":>10}'
          f'{"samples/s":>10}{memory:>14}{"x first":>9}')
    reference = results[0]
    for row in results:
        print(f'{osp.basename(row["config"]):<58}{row["num_frames"]:>3}{row["batch_size"]:>6}'
              f'{"x".join(map(str, row["input_hw"])):>10}{row["params_m"]:>9.2f}'
              f'{row["ms_per_step"]:>10.0f}{row["samples_per_s"]:>10.1f}{row["peak_mb"]:>14.0f}'
              f'{row["ms_per_step"] / reference["ms_per_step"]:>9.2f}')
    for row in results[1:]:
        ratio = row['ms_per_step'] / reference['ms_per_step']
        print(f'{osp.basename(row["config"])}: {ratio:.2f}x the step time of '
              f'{osp.basename(reference["config"])} (target <= 1.5 x T = '
              f'{1.5 * row["num_frames"]:.1f}x)')
    print(json.dumps(results))


if __name__ == '__main__':
    main()
