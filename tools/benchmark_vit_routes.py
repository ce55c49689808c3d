"""Cost of the two ways to put the temporal modules on ViT features, side by side.

Both routes start from the same ViT tokens (B, T, D, H/16, W/16) (the backbone, identical
in both, is left out) and end with key-frame heatmaps at 1/4 resolution:

- ``per-frame``: ViTPose's deconvolutions upsample every frame's tokens (what
  ``UpsampledVisionTransformer`` does), then the config's necks and head run unchanged on
  the 1/4-resolution grid (DAM, TFF + TKS, MLSME, SMML).
- ``tokens``: the paper-faithful order. The necks and head run on the token grid (TFF and
  MLSME with patch 1, so one token per ViT patch; SMML with full attention, DAM/TKS
  heatmaps at 1/16), then the same deconvolutions upsample the key frame only. This is a
  lower bound of that route's cost: a real model also needs heatmap layers at 1/4.

Measured in training mode (MLSME's masked second pass included): parameters, GFLOPs of
one forward + backward (``torch.utils.flop_counter``, exact, independent of the machine)
and the median wall time of ``--repeats`` steps, and each stage's forward GFLOPs.

Example:
    python tools/benchmark_vit_routes.py configs/stdpose_vitpose-b_pt17.py --batch-size 2
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config whose backbone is UpsampledVisionTransformer')
    parser.add_argument('--batch-size', type=int, default=2, help='windows per step')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None, help='torch threads')
    return parser.parse_args(argv)


def build_routes(cfg) -> Dict[str, dict]:
    """``{route: dict(deconvs, necks, head, upsample_all)}`` from the config's model."""
    import torch
    from mmpose.registry import MODELS

    backbone = MODELS.build(cfg.model.backbone)
    embed_dims, upsampled = backbone.embed_dims, backbone.out_channels
    routes = {}
    for route in ('per-frame', 'tokens'):
        necks, head = copy.deepcopy(cfg.model.neck.to_dict()), cfg.model.head.to_dict()
        if route == 'tokens':
            necks['dam']['in_channels'] = embed_dims
            necks['encoder'].update(in_channels=embed_dims)
            necks['encoder'].setdefault('tff_cfg', {}).update(
                patch_size=1, feat_size=tuple(backbone.patch_resolution))
            necks['motion'].update(in_channels=embed_dims, patch_size=1)
            head.update(in_channels=embed_dims, temporal_channels=embed_dims, attn_stride=1)
        routes[route] = dict(
            deconvs=copy.deepcopy(backbone.deconv_layers),
            neck_names=[name for name, c in necks.items() if c],
            necks=torch.nn.ModuleList(MODELS.build(c) for c in necks.values() if c),
            head=MODELS.build(head),
            upsample_all=route == 'per-frame',
            tokens=(embed_dims, *backbone.patch_resolution),
            upsampled=upsampled)
    return routes


def step(route: dict, tokens, stage_flops: Optional[Dict[str, float]] = None) -> None:
    """One forward + backward of the route on ``tokens`` (B, T, D, h, w).

    ``stage_flops``, when given, receives each stage's forward GFLOPs.
    """
    from torch.utils.flop_counter import FlopCounterMode

    def run(name, function, *inputs):
        if stage_flops is None:
            return function(*inputs)
        with FlopCounterMode(display=False) as counter:
            outputs = function(*inputs)
        stage_flops[name] = stage_flops.get(name, 0.) + counter.get_total_flops() / 1e9
        return outputs

    batch_size, num_frames = tokens.shape[:2]
    key = num_frames // 2
    frame_feats = tokens
    if route['upsample_all']:
        frame_feats = run('upsample', route['deconvs'], tokens.flatten(0, 1)).unflatten(
            0, (batch_size, num_frames))
    video_feats = dict(frame_feats=frame_feats, key_frame_index=key)
    for name, neck in zip(route['neck_names'], route['necks']):
        video_feats = run(name, neck, video_feats)
    key_heatmaps, _ = run('head', route['head'].forward_with_frame_heatmaps, video_feats)
    loss = key_heatmaps.float().pow(2).mean()
    if not route['upsample_all']:  # upsampling after the temporal modules: key frame only
        loss = loss + run('upsample', route['deconvs'], tokens[:, key]).pow(2).mean()
    for value in video_feats.get('aux_losses', {}).values():
        loss = loss + value
    loss.backward()


def measure(route: dict, batch_size: int, num_frames: int, repeats: int) -> Dict[str, float]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    modules = [route['deconvs'], route['necks'], route['head']]
    for module in modules:
        module.train()
    tokens = torch.randn(batch_size, num_frames, *route['tokens'], requires_grad=True)
    counter, stage_flops = FlopCounterMode(display=False), {}
    with counter:
        step(route, tokens)
    step(route, tokens, stage_flops)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(route, tokens)
        times.append(time.perf_counter() - start)
    params = sum(p.numel() for m in modules for p in m.parameters())
    return dict(params_m=params / 1e6, gflops=counter.get_total_flops() / 1e9,
                seconds=statistics.median(times), stages=stage_flops)


def main(argv: Optional[List[str]] = None) -> int:
    import torch
    from mmengine import Config
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401

    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(args.config)
    num_frames = cfg.model.neck.encoder.num_frames
    rows = {name: measure(route, args.batch_size, num_frames, args.repeats)
            for name, route in build_routes(cfg).items()}
    print(f'{args.config}: B={args.batch_size} windows x T={num_frames}, training step '
          f'(forward + backward) after the ViT, {torch.get_num_threads()} thread(s)')
    stages = list(next(iter(rows.values()))['stages'])
    print(f'{"route":<10} {"params (M)":>10} {"GFLOPs fwd+bwd":>14} {"s/step":>7}  '
          + '  '.join(f'{name:>8}' for name in stages) + '  (forward GFLOPs per stage)')
    for name, row in rows.items():
        print(f'{name:<10} {row["params_m"]:>10.2f} {row["gflops"]:>14.1f} '
              f'{row["seconds"]:>7.2f}  '
              + '  '.join(f'{row["stages"].get(stage, 0.):>8.2f}' for stage in stages))
    return 0


if __name__ == '__main__':
    sys.exit(main())
