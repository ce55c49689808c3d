"""Inference cost of a model with and without its training-only parts, same weights, one run.

The semantic motion encoder masks tubes and frames and runs two reconstruction decoders in
training only. This benchmark builds the configured model and a copy whose ``--without``
overrides remove those parts (by default: no masking, no context / pose decoders), loads the
same weights into both, and times ``test_step`` (flip test as configured) on one val batch,
the two models interleaved. It prints ms/batch, parameters and the largest difference
between their heatmaps (0 when the removed parts have no effect at inference). Without
PoseTrack data at ``--data-root`` (or the config's) a small synthetic set is generated in a
temporary folder; ``--timeout`` ends a stuck run with an error.

Example:
    python tools/benchmark_test_step.py configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py \
        --data-root data/synthetic_posetrack
"""
import argparse
import ast
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.benchmarking import ensure_data_root, run_with_scratch  # noqa: E402

TRAINING_ONLY = ['model.neck.motion.mask_cubes=False', 'model.neck.motion.mask_frames=False',
                 'model.neck.motion.context_reconstruction=False',
                 'model.neck.motion.pose_reconstruction=False']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--without', nargs='+', default=TRAINING_ONLY,
                        help='key=value overrides that remove the training-only parts')
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--timeout', type=float, default=600,
                        help='seconds before the run fails (default: 600)')
    return parser.parse_args()


def main():
    args = parse_args()
    run_with_scratch(run, args, 'benchmark_test_step')


def run(args: argparse.Namespace, scratch: str) -> None:
    import torch
    from mmengine import Config
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import DATASETS, MODELS
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401

    register_all_modules()
    cfg = Config.fromfile(args.config)
    stripped_cfg = Config.fromfile(args.config)
    for option in args.without:
        key, value = option.split('=', 1)
        stripped_cfg.merge_from_dict({key: ast.literal_eval(value)})
    dataset_cfg = cfg.val_dataloader.dataset
    dataset_cfg.data_root = ensure_data_root(args.data_root or dataset_cfg.get('data_root'),
                                             scratch, 'benchmark_test_step')
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[i % len(dataset)] for i in range(args.batch_size)])

    torch.manual_seed(0)
    full = MODELS.build(cfg.model).to(args.device).eval()
    stripped = MODELS.build(stripped_cfg.model).to(args.device).eval()
    missing, unexpected = stripped.load_state_dict(full.state_dict(), strict=False)
    if missing:
        raise RuntimeError(f'the stripped model has weights the full one lacks: {missing}')
    timings = {'full': [], 'stripped': []}
    outputs = {}
    with torch.no_grad():
        for step in range(args.warmup + args.iters):
            for name, model in (('full', full), ('stripped', stripped)):
                start = time.perf_counter()
                outputs[name] = model.test_step(batch)
                if args.device.startswith('cuda'):
                    torch.cuda.synchronize()
                if step >= args.warmup:
                    timings[name].append(time.perf_counter() - start)
    difference = max(
        float(abs(a.pred_instances.keypoints - b.pred_instances.keypoints).max())
        for a, b in zip(outputs['full'], outputs['stripped']))
    device = (torch.cuda.get_device_name(0) if args.device.startswith('cuda') else
              f'CPU ({torch.get_num_threads()} threads)')
    print(f'device: {device}; batch {args.batch_size}; {args.iters} test steps after '
          f'{args.warmup} warm-up, interleaved')
    print(f'{"model":<44}{"params M":>10}{"ms/batch":>10}')
    for name, model in (('full', full), ('stripped', stripped)):
        label = ('as configured (masking + decoders built)' if name == 'full' else
                 'without: ' + ', '.join(o.split('.')[-1].split('=')[0] for o in args.without))
        params = sum(p.numel() for p in model.parameters()) / 1e6
        median = sorted(timings[name])[len(timings[name]) // 2] * 1000
        print(f'{label[:44]:<44}{params:>10.2f}{median:>10.1f}')
    print(f'parameters only in the full model: {len(unexpected)} tensors '
          f'({", ".join(sorted({k.split(".")[2] for k in unexpected})[:6])})')
    print(f'max |keypoint difference| between the two: {difference:.2e} px')


if __name__ == '__main__':
    main()
