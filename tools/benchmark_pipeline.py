"""Data pipeline throughput: the T-frame video pipeline next to MMPose's single-frame one.

Both read the same samples from the same PoseTrack-layout data with the same number of
workers, in one run, at the paper's input size (288x384). Prints samples/s and the ratio.
Without PoseTrack data at ``data_root`` a small synthetic set is generated in a temporary
folder; ``--timeout`` ends a stuck run with an error.

Example:
    python tools/benchmark_pipeline.py data/synthetic_posetrack --num-samples 400 --workers 2
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.benchmarking import ensure_data_root, run_with_scratch  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', nargs='?', default=None,
                        help='PoseTrack-layout root (images/, annotations/); default: a '
                        'generated synthetic set')
    parser.add_argument('--ann-file', default='annotations/posetrack18_train.json')
    parser.add_argument('--num-frames', type=int, default=5)
    parser.add_argument('--num-samples', type=int, default=400)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--input-size', type=int, nargs=2, default=(288, 384),
                        metavar=('W', 'H'))
    parser.add_argument('--timeout', type=float, default=600,
                        help='seconds before the run fails (default: 600)')
    return parser.parse_args()


def pipelines(input_size, heatmap_size):
    codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=heatmap_size,
                 sigma=3)
    geometric = [dict(type='GetBBoxCenterScale'), dict(type='RandomHalfBody'),
                 dict(type='RandomBBoxTransform')]
    single = [dict(type='LoadImage'), *geometric[:1],
              dict(type='RandomFlip', direction='horizontal'), *geometric[1:],
              dict(type='TopdownAffine', input_size=input_size),
              dict(type='GenerateTarget', encoder=codec), dict(type='PackPoseInputs')]
    video = [dict(type='LoadVideoFrames'), *geometric[:1],
             dict(type='VideoRandomFlip', direction='horizontal'), *geometric[1:],
             dict(type='VideoTopdownAffine', input_size=input_size),
             dict(type='GenerateVideoTarget', encoder=codec), dict(type='PackVideoPoseInputs')]
    return single, video


def measure(dataset, num_samples, workers, batch_size) -> float:
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, Subset

    indices = [i % len(dataset) for i in range(num_samples)]
    loader = DataLoader(Subset(dataset, indices), batch_size=batch_size, num_workers=workers,
                        collate_fn=pseudo_collate, shuffle=False)
    iterator = iter(loader)
    next(iterator)  # worker start-up is not throughput
    start = time.perf_counter()
    count = batch_size
    for batch in iterator:
        count += len(batch['inputs'])
    return (count - batch_size) / (time.perf_counter() - start)


def main():
    args = parse_args()
    run_with_scratch(run, args, 'benchmark_pipeline')


def run(args: argparse.Namespace, scratch: str) -> None:
    args.data_root = ensure_data_root(args.data_root, scratch, 'benchmark_pipeline')
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401
    from stdpose_mm.datasets import PoseTrackVideoDataset

    register_all_modules()
    input_size = tuple(args.input_size)
    heatmap_size = (input_size[0] // 4, input_size[1] // 4)
    single_pipeline, video_pipeline = pipelines(input_size, heatmap_size)
    half = args.num_frames // 2
    common = dict(data_root=args.data_root, ann_file=args.ann_file, data_prefix=dict(img=''))
    single = PoseTrackVideoDataset(frame_indices=[0], pipeline=single_pipeline, **common)
    video = PoseTrackVideoDataset(frame_indices=list(range(-half, half + 1)),
                                  pipeline=video_pipeline, **common)
    single_rate = measure(single, args.num_samples, args.workers, args.batch_size)
    video_rate = measure(video, args.num_samples, args.workers, args.batch_size)
    print(f'data: {args.data_root} ({len(video)} samples), input {input_size[0]}x'
          f'{input_size[1]}, workers={args.workers}, batch={args.batch_size}')
    print(f'{"pipeline":<28}{"samples/s":>12}{"frames/s":>12}')
    print(f'{"single-frame (MMPose)":<28}{single_rate:>12.1f}{single_rate:>12.1f}')
    print(f'{f"video T={args.num_frames} (stdpose_mm)":<28}{video_rate:>12.1f}'
          f'{video_rate * args.num_frames:>12.1f}')
    print(f'cost ratio video/single per sample: {single_rate / video_rate:.2f}x '
          f'(target <= {args.num_frames}x)')


if __name__ == '__main__':
    main()
