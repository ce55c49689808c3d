"""Inference cost per frame: single-frame HRNet vs the 5-frame model, recomputed vs streamed.

On the same synthetic video (generated into a temporary folder, ``--persons`` people with
fixed boxes), the same machine and in one run, times the model work per frame (crops are
cut beforehand and shared, so I/O and warping are not counted) of:

(a) the single-frame top-down HRNet (MMPose's ``TopdownPoseEstimator``);
(b) the 5-frame model recomputing the backbone on every support frame of every window (what
    video pose estimators usually do): ``VideoPoseInferencer(streaming=False)``;
(c) the 5-frame model streaming: the boxes are fixed, so with the key-box geometry every
    crop (frame, box) is cut and run through the backbone once and its features serve the
    T windows that use it: ``VideoPoseInferencer(streaming=True)``. (c) - (a) is the cost
    of the temporal necks and head.

All use random weights (no checkpoint needed) and the same flip-test setting (off unless
``--flip-test``). ``--size paper`` is HRNet-W48 at 384x288 (``configs/stdpose_hrnet_pt17.py``,
the combined model, and MMPose's PoseTrack18 HRNet-W48), ``--size cpu`` the tiny CPU
configs. Prints the device and a markdown table with each variant's ratio to (a);
``--profile`` adds the ms/frame of each module of (c) (an extra, untimed pass).

Example:
    python tools/benchmark_inference.py --size paper --device cuda:0 --frames 60 --persons 4
"""
import argparse
import os.path as osp
import platform
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.benchmarking import install_timeout  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'cpu': ('configs/cpu/td-hm_tiny-hrnet_synthetic.py',
            'configs/cpu/stdpose_tiny-hrnet_synthetic.py'),
    'paper': ('configs/baselines/td-hm_hrnet-w48_posetrack18-384x288.py',
              'configs/stdpose_hrnet_pt17.py'),
}
IMAGE_SIZES = {'cpu': (384, 288), 'paper': (960, 540)}


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', choices=sorted(CONFIGS), default='cpu',
                        help='paper: HRNet-W48 384x288; cpu: tiny HRNet 128x96')
    parser.add_argument('--frames', type=int, default=30, help='timed frames')
    parser.add_argument('--persons', type=int, default=2, help='people per frame')
    parser.add_argument('--warmup', type=int, default=5, help='untimed frames first')
    parser.add_argument('--device', default=None, help='cuda:0 when available, else cpu')
    parser.add_argument('--flip-test', action='store_true', help='flip test for all three')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--timeout', type=float, default=1200,
                        help='seconds before the run fails (default: 1200)')
    parser.add_argument('--profile', action='store_true',
                        help='also print ms/frame per module of the streaming variant')
    return parser.parse_args(argv)


def make_frames(num_frames: int, image_size, num_persons: int, workdir: str):
    """A synthetic video (BGR arrays) and ``num_persons`` fixed boxes (N, 5) xyxy+score."""
    import glob

    import cv2
    import numpy as np

    from stdpose_mm.datasets.synthetic import generate_posetrack

    generate_posetrack(workdir, num_videos={'val': 1}, num_frames=num_frames,
                       image_size=image_size, people_per_video=(num_persons, num_persons),
                       write_masks=False, seed=0)
    paths = sorted(glob.glob(osp.join(workdir, 'images', 'val', '*', '*.jpg')))
    frames = [cv2.imread(path) for path in paths]
    width, height = image_size
    box_width = width / num_persons
    boxes = np.array([[i * box_width, 0.1 * height, (i + 1) * box_width, 0.95 * height, 1.]
                      for i in range(num_persons)], np.float32)
    return frames, boxes


def time_per_frame(step: Callable[[int], object], num_frames: int, warmup: int,
                   reset: Callable[[], None], device: str) -> float:
    """Mean ms per frame of ``step(i)`` over frames 0..num_frames-1, after a warm-up."""
    import torch

    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize(device)

    reset()
    for index in range(min(warmup, num_frames)):
        step(index)
    reset()
    sync()
    start = time.perf_counter()
    for index in range(num_frames):
        step(index)
    sync()
    return (time.perf_counter() - start) * 1000 / num_frames


class ModuleProfile:
    """Wall time spent in named modules and methods, summed over the calls.

    Modules are timed by forward hooks, methods (``(object, name)``, e.g. a head's
    ``predict``, which MMPose calls directly, or a neck's ``forward_key_frame``) by a
    wrapper set on the instance and removed by :meth:`remove`. A parent's time includes its
    children's.

    Args:
        modules (dict): Name -> ``nn.Module`` or ``(object, method names)``.
        device (str): Synchronised around each timing when it is a CUDA device.
    """

    def __init__(self, modules: Dict[str, object], device: str) -> None:
        import torch

        self.totals = dict.fromkeys(modules, 0.)
        self._handles, self._patched = [], []
        cuda = device.startswith('cuda')
        self._sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)
        starts: Dict[str, float] = {}
        for name, target in modules.items():
            if isinstance(target, torch.nn.Module):
                self._handles.append(target.register_forward_pre_hook(
                    lambda *_, n=name: starts.__setitem__(n, self._now())))
                self._handles.append(target.register_forward_hook(
                    lambda *_, n=name: self._add(n, starts.pop(n))))
                continue
            owner, methods = target
            for method in methods:
                if hasattr(owner, method):
                    setattr(owner, method, self._timed(name, getattr(owner, method)))
                    self._patched.append((owner, method))

    def _now(self) -> float:
        self._sync()
        return time.perf_counter()

    def _add(self, name: str, start: float) -> None:
        self.totals[name] += self._now() - start

    def _timed(self, name: str, method: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = self._now()
            try:
                return method(*args, **kwargs)
            finally:
                self._add(name, start)
        return timed

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        for owner, method in self._patched:
            delattr(owner, method)  # the class's method shows through again


def describe_device(device: str) -> str:
    import torch

    if device.startswith('cuda'):
        return f'{device} ({torch.cuda.get_device_name(device)})'
    return f'cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} ' \
           f'torch threads)'


def run(args: argparse.Namespace) -> List[tuple]:
    import torch
    from mmengine.dataset import Compose, pseudo_collate
    from mmpose.apis import init_model

    from stdpose_mm.apis import VideoPoseInferencer

    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    single_config, video_config = (osp.join(REPO_ROOT, c) for c in CONFIGS[args.size])
    total = args.frames
    with tempfile.TemporaryDirectory() as workdir:
        frames, boxes = make_frames(total, IMAGE_SIZES[args.size], args.persons, workdir)
    torch.manual_seed(args.seed)

    # (a) single frame: MMPose's model on each frame's crops.
    single = init_model(single_config, None, device=device)
    single.test_cfg['flip_test'] = args.flip_test
    pipeline = Compose(single.cfg.test_dataloader.dataset.pipeline)
    single_batches = [pseudo_collate([
        pipeline(dict(img=frame, img_path=f'{i:06d}.jpg', bbox=box[None, :4].copy(),
                      bbox_score=box[4:5].copy(), **single.dataset_meta)) for box in boxes])
        for i, frame in enumerate(frames)]

    # (b), (c): the video inferencer's jobs (crops, tracks, windows) cut once, shared.
    video = VideoPoseInferencer(video_config, device=device)
    video.model.test_cfg['flip_test'] = args.flip_test
    jobs = [job for job, _ in video.preprocess(frames, bboxes=[boxes] * total, bbox_thr=0.)]

    with torch.no_grad():
        rows = [('(a) single-frame HRNet', time_per_frame(
            lambda i: single.test_step(single_batches[i]), total, args.warmup, lambda: None,
            device))]
        for name, streaming in (('(b) 5-frame, backbone recomputed', False),
                                ('(c) 5-frame, streaming cache', True)):
            rows.append((name, time_per_frame(
                lambda i, s=streaming: video.forward(jobs[i], streaming=s), total,
                args.warmup, video.reset_stream, device)))
        profile = None
        if args.profile:  # an extra, untimed streaming pass with per-module hooks
            model = video.model
            modules = dict(backbone=model.backbone)
            for name, neck in model.temporal_necks.items():
                modules[f'neck.{name}'] = (neck, ('forward', 'forward_key_frame'))
                modules.update((f'neck.{name}.{child_name}', child)
                               for child_name, child in neck.named_children())
            modules['head'] = (model.head, ('predict', ))
            modules.update((f'head.{name}', child) for name, child in model.head.named_children()
                           if 'loss' not in name)
            profile = ModuleProfile(modules, device)
            video.reset_stream()
            for index in range(total):
                video.forward(jobs[index], streaming=True)
            profile.remove()
            profile = {name: seconds * 1000 / total for name, seconds in profile.totals.items()}
    return [(device, name, ms) for name, ms in rows], profile


def main(argv: Optional[list] = None) -> None:
    args = parse_args(argv)
    install_timeout(args.timeout, 'benchmark_inference')
    rows, profile = run(args)
    device = rows[0][0]
    baseline = rows[0][2]
    print(f'device: {describe_device(device)}')
    print(f'size: {args.size}, frames: {args.frames}, persons: {args.persons}, '
          f'flip test: {args.flip_test}')
    print('| variant | ms/frame | x (a) |')
    print('|---|---:|---:|')
    for _, name, ms in rows:
        print(f'| {name} | {ms:.1f} | {ms / baseline:.2f} |')
    if profile:
        print('\nper-module ms/frame of (c), untimed pass (a module includes its children):')
        print('| module | ms/frame |')
        print('|---|---:|')
        for name, ms in profile.items():
            print(f'| {name} | {ms:.1f} |')


if __name__ == '__main__':
    main()
