"""Video inference vs ``tools/test.py``: the AP of both paths on a config's test set.

Both use the same checkpoint and the same boxes (the test set's GT boxes, or ``--bbox-file``).
Prints one table; exits 1 when the APs differ by more than ``--max-ap-diff``.

Example:
    python tools/check_inference_agreement.py \
        configs/research/stdpose_tiny-hrnet_research.py work_dirs/.../epoch_6.pth \
        --data-root data/research_a/
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', help='another PoseTrack18-layout root for the test set')
    parser.add_argument('--bbox-file', help='detections json (default: GT boxes)')
    parser.add_argument('--det-thr', type=float, default=0.4)
    parser.add_argument('--max-ap-diff', type=float, default=0.5)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from stdpose_mm.apis.experiments import data_root_options
    from stdpose_mm.apis.inferencers.agreement import inference_agreement

    options = None
    if args.data_root:
        options = dict(option.split('=', 1) for option in data_root_options(args.data_root)
                       if option.startswith(('test_', )))
    result = inference_agreement(args.config, args.checkpoint, bbox_file=args.bbox_file,
                                 det_thr=args.det_thr, device=args.device,
                                 cfg_options=options)
    boxes = args.bbox_file or 'GT boxes'
    print(f'| path | Total AP | people |\n|---|---:|---:|\n'
          f'| tools/test.py (test_step) | {result["test_ap"]:.2f} | {result["people"][0]} |\n'
          f'| VideoPoseInferencer | {result["inferencer_ap"]:.2f} | {result["people"][1]} |\n'
          f'boxes: {boxes}; largest keypoint difference between the paths: '
          f'{result["max_keypoint_px"]:.4f} px')
    return int(abs(result['test_ap'] - result['inferencer_ap']) > args.max_ap_diff)


if __name__ == '__main__':
    sys.exit(main())
