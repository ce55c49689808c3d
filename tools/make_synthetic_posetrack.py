"""Generate a synthetic PoseTrack18-format video pose data set.

Example:
    python tools/make_synthetic_posetrack.py data/synthetic_posetrack --train-videos 6 \\
        --val-videos 2 --frames 30 40 --label-stride 2 --seed 0

Bad arguments print a single ``error: ...`` line on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

# numpy + OpenCV only: runs without torch / MMPose installed (stdpose_mm/optional_deps.py).
from stdpose_mm.datasets.synthetic import generate_posetrack  # noqa: E402
from stdpose_mm.utils.cli import OneLineErrorParser, fail  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The parsed namespace.
    """
    parser = OneLineErrorParser(
        description='Generate synthetic PoseTrack18-format videos (images, per-video and merged '
        'annotations, ignore-region masks and noisy human detections).')
    parser.add_argument('out_dir', help='output root folder (created if needed)')
    parser.add_argument('--train-videos', type=int, default=6, metavar='N',
                        help='number of train videos (default: 6)')
    parser.add_argument('--val-videos', type=int, default=2, metavar='M',
                        help='number of val videos (default: 2)')
    parser.add_argument('--frames', type=int, nargs='+', default=[30, 40], metavar='F',
                        help='frames per video: F, or MIN MAX drawn per video (default: 30 40)')
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--label-stride', type=int, default=None, metavar='K',
                        help='label every K-th train frame (default: 2)')
    labels.add_argument('--labeled-ratio', type=float, default=None, metavar='R',
                        help='label a random fraction R of the train frames instead')
    parser.add_argument('--val-all-labeled', action=argparse.BooleanOptionalAction, default=True,
                        help='label every val frame (default: on; off = same rule as train)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument('--width', type=int, default=384, help='frame width (default: 384)')
    parser.add_argument('--height', type=int, default=288, help='frame height (default: 288)')
    parser.add_argument('--people', type=int, nargs=2, default=[1, 3], metavar=('MIN', 'MAX'),
                        help='labeled people per video (default: 1 3)')
    parser.add_argument('--occluder-prob', type=float, default=0.7,
                        help='probability that a video has occluders (default: 0.7)')
    parser.add_argument('--motion-speed', type=float, default=1.0,
                        help='time scale of all motion, in [0.25, 4] (default: 1)')
    parser.add_argument('--jpeg-quality', type=int, default=90, help='JPEG quality (default: 90)')
    parser.add_argument('--no-masks', action='store_true',
                        help='do not write the mask/ folder of ignore-region masks')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val'], help='splits to generate (default: both)')
    parser.add_argument('--quiet', action='store_true', help='print nothing on success')
    args = parser.parse_args(argv)
    if len(args.frames) > 2:
        parser.error('--frames takes one value (F) or two (MIN MAX)')
    return args


def main(argv: list[str] | None = None) -> int:
    """Runs the generator; returns the process exit status."""
    args = parse_args(argv)
    counts = {'train': args.train_videos, 'val': args.val_videos}
    frames = args.frames[0] if len(args.frames) == 1 else tuple(args.frames)
    try:
        summary = generate_posetrack(
            args.out_dir,
            num_videos={split: counts[split] for split in dict.fromkeys(args.splits)},
            num_frames=frames,
            image_size=(args.width, args.height),
            label_stride=args.label_stride,
            labeled_ratio=args.labeled_ratio,
            val_all_labeled=args.val_all_labeled,
            seed=args.seed,
            people_per_video=tuple(args.people),
            occluder_prob=args.occluder_prob,
            jpeg_quality=args.jpeg_quality,
            write_masks=not args.no_masks,
            motion_speed=args.motion_speed)
    except ValueError as exc:
        fail(exc)
    if not args.quiet:
        for split, info in summary['splits'].items():
            print(f'{split}: {len(info["videos"])} videos, {info["num_images"]} frames '
                  f'({info["num_labeled_images"]} labeled), {info["num_annotations"]} people, '
                  f'{info["num_occluded_keypoints"]} occluded joints, '
                  f'{info["num_detections"]} detections -> {info["ann_file"]}')
        print(f'done in {summary["elapsed_s"]:.1f}s: {summary["out_dir"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
