"""Fast pre-check of a PoseTrack-style dataset: list every bad annotation file and frame.

Usage:
    python tools/check_dataset.py CONFIG [--split train|val|test] [--full-decode]
    python tools/check_dataset.py --ann-file ANN [--data-root ROOT] [--img-prefix PREFIX]

With a config, the dataset of ``{split}_dataloader`` is checked (``ann_file``,
``data_root``, ``data_prefix['img']``, ``vid_key``, ``frame_key``; dataset wrappers are
followed). Every json of an annotation folder is read on its own, every person annotation
is checked (keypoint values are finite numbers, a labelled person's box has positive width
and height; each bad one named by file, annotation id and field) and every frame the
annotations list is checked for existence, size and JPEG/PNG markers (``--full-decode``:
decoded with OpenCV too). Prints the report and exits with 0 when nothing is bad, 1 when
bad files were found (all listed), 2 on usage errors (one ``error: ...`` line on stderr).

The checker is part of the numpy-only core: with ``--ann-file`` the tool runs without
torch / MMPose installed (a config needs MMEngine to be read).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.datasets.dataset_check import check_posetrack_dataset  # noqa: E402
from stdpose_mm.datasets.posetrack_annotations import PoseTrackAnnotationError  # noqa: E402
from stdpose_mm.utils.cli import OneLineErrorParser, fail  # noqa: E402
from stdpose_mm.utils.dataset_cfg import leaf_dataset_cfgs  # noqa: E402

EXIT_CLEAN, EXIT_BAD_DATA = 0, 1


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = OneLineErrorParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', nargs='?', help='MMEngine config with the dataset')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='train',
                        help='which dataloader of the config (default: train)')
    parser.add_argument('--ann-file', help='annotation json or folder (instead of CONFIG)')
    parser.add_argument('--data-root', default='', help='dataset root (with --ann-file)')
    parser.add_argument('--img-prefix', default='',
                        help='image prefix under the root (with --ann-file)')
    parser.add_argument('--num-keypoints', type=int, default=17)
    parser.add_argument('--full-decode', action='store_true',
                        help='decode every frame with OpenCV (slow, thorough)')
    parser.add_argument('--include-unlisted', action='store_true',
                        help='also check frames implied by nframes but not listed')
    parser.add_argument('--workers', type=int, default=16, help='threads checking frames')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.ann_file is None):
        fail('give either CONFIG or --ann-file')
    if args.workers < 1:
        fail(f'--workers must be >= 1, got {args.workers}')
    return args


def datasets_from_config(path: str, split: str) -> List[dict]:
    """``check_posetrack_dataset`` keyword arguments for each dataset of a split."""
    from mmengine.config import Config  # light: no torch import

    try:
        cfg = Config.fromfile(path, import_custom_modules=False)
    except FileNotFoundError as err:
        fail(f'config not found: {err}')
    except Exception as err:  # syntax errors, bad _base_ ...: a usage error for this tool
        fail(f'cannot read config {path}: {err}')
    loader = cfg.get(f'{split}_dataloader')
    if not loader or 'dataset' not in loader:
        fail(f'{path} has no {split}_dataloader.dataset')
    leaves = [leaf for leaf in leaf_dataset_cfgs(loader['dataset']) if 'ann_file' in leaf]
    if not leaves:
        fail(f'{path}: {split}_dataloader.dataset has no ann_file')
    return [dict(ann_file=leaf['ann_file'],
                 data_root=leaf.get('data_root') or '',
                 img_prefix=(leaf.get('data_prefix') or {}).get('img', ''),
                 vid_key=leaf.get('vid_key', 'vid_id'),
                 frame_key=leaf.get('frame_key')) for leaf in leaves]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.config is not None:
        targets = datasets_from_config(args.config, args.split)
    else:
        targets = [dict(ann_file=args.ann_file, data_root=args.data_root,
                        img_prefix=args.img_prefix)]
    progress = not args.no_progress and sys.stderr.isatty()
    all_ok = True
    for target in targets:
        try:
            report = check_posetrack_dataset(
                num_keypoints=args.num_keypoints, full_decode=args.full_decode,
                include_unlisted=args.include_unlisted, workers=args.workers,
                progress=progress, **target)
        except (FileNotFoundError, PoseTrackAnnotationError) as err:
            fail(str(err))  # no annotation file to check at all
        # The annotation path as checked (under data_root when relative).
        ann_path = os.path.join(target['data_root'], target['ann_file'])
        print(f'{ann_path}: {report.format()}')
        all_ok = all_ok and report.ok
    return EXIT_CLEAN if all_ok else EXIT_BAD_DATA


if __name__ == '__main__':
    sys.exit(main())
