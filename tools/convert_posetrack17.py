"""Convert the official PoseTrack17 annotations ("annolist" jsons) to the PoseTrack18 layout.

Usage:
    python tools/convert_posetrack17.py SRC_DIR OUT_DIR --split {train,val}

SRC_DIR holds one PoseTrack17 json per video (e.g. ``posetrack_data/annotations/val``).
Writes ``OUT_DIR/<split>/<video>.json`` per video and the merged
``OUT_DIR/posetrack17_<split>.json``, which ``configs/stdpose_hrnet_pt17.py`` reads with
``OUT_DIR = data/posetrack17/annotations``. Image paths stay those of PoseTrack17
(``images/bonn/000001_bonn/00000001.jpg``), relative to the PoseTrack17 root. See
:mod:`stdpose_mm.datasets.converters.posetrack17` for the conversion rules. Bad input prints
one ``error: ...`` line on stderr and exits with code 2.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

# numpy only: runs without torch / MMPose installed (stdpose_mm/optional_deps.py).
from stdpose_mm.datasets.converters import convert_posetrack17  # noqa: E402
from stdpose_mm.utils.cli import OneLineErrorParser, fail  # noqa: E402

SPLITS = ('train', 'val')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        argparse.Namespace: ``src_dir``, ``out_dir``, ``split`` and ``quiet``.
    """
    parser = OneLineErrorParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src_dir', help='folder of PoseTrack17 per-video jsons')
    parser.add_argument('out_dir', help='output folder, e.g. data/posetrack17/annotations')
    parser.add_argument('--split', required=True, choices=SPLITS,
                        help='split name of the output files')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the conversion; returns the process exit code."""
    args = parse_args(argv)
    if not osp.isdir(args.src_dir):
        fail(f'PoseTrack17 annotation folder not found: {args.src_dir}')

    try:
        summary = convert_posetrack17(args.src_dir, args.out_dir, args.split,
                                      progress=not args.quiet)
    except (ValueError, OSError) as exc:  # PoseTrackAnnotationError is a ValueError
        fail(str(exc))
    print(f'{summary["videos"]} videos, {summary["images"]} images, '
          f'{summary["annotations"]} annotations -> {summary["video_dir"]}/, '
          f'{summary["merged_file"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
