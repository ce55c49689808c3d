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

Only the checker module is loaded (by file path, as ``tools/eval_posetrack.py`` does), not
the ``stdpose_mm`` package whose ``__init__`` imports torch and mmpose: the tool starts in
well under a second.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import types
from pathlib import Path
from typing import Any, Iterator, List, NoReturn, Optional, Sequence

DATASETS_DIR = Path(__file__).resolve().parents[1] / 'stdpose_mm' / 'datasets'
EXIT_CLEAN, EXIT_BAD_DATA, EXIT_USAGE = 0, 1, 2


def load_dataset_check() -> types.ModuleType:
    """Import ``dataset_check.py`` without running the torch-importing package inits.

    A bare package module whose ``__path__`` is the datasets folder lets the checker's
    relative import of ``posetrack_annotations`` resolve without ``__init__.py``.
    """
    package = '_stdpose_datasets'
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(DATASETS_DIR)]
        sys.modules[package] = module
    return importlib.import_module(f'{package}.dataset_check')


class _ArgumentParser(argparse.ArgumentParser):
    """argparse with a single ``error: ...`` line and exit code 2 on bad arguments."""

    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str) -> NoReturn:
    """Print one ``error:`` line on stderr and exit with code 2."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(EXIT_USAGE)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = _ArgumentParser(description=__doc__.split('\n\n')[0])
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


def _leaf_datasets(cfg: Any) -> Iterator[dict]:
    """Dataset configs holding an ``ann_file``, through wrappers (dataset / datasets)."""
    if not isinstance(cfg, dict):
        return
    if 'ann_file' in cfg:
        yield cfg
    elif 'dataset' in cfg:
        yield from _leaf_datasets(cfg['dataset'])
    else:
        for sub in cfg.get('datasets', []):
            yield from _leaf_datasets(sub)


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
    leaves = list(_leaf_datasets(loader['dataset']))
    if not leaves:
        fail(f'{path}: {split}_dataloader.dataset has no ann_file')
    return [dict(ann_file=leaf['ann_file'],
                 data_root=leaf.get('data_root') or '',
                 img_prefix=(leaf.get('data_prefix') or {}).get('img', ''),
                 vid_key=leaf.get('vid_key', 'vid_id'),
                 frame_key=leaf.get('frame_key')) for leaf in leaves]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    checker = load_dataset_check()
    if args.config is not None:
        targets = datasets_from_config(args.config, args.split)
    else:
        targets = [dict(ann_file=args.ann_file, data_root=args.data_root,
                        img_prefix=args.img_prefix)]
    progress = not args.no_progress and sys.stderr.isatty()
    all_ok = True
    for target in targets:
        try:
            report = checker.check_posetrack_dataset(
                num_keypoints=args.num_keypoints, full_decode=args.full_decode,
                include_unlisted=args.include_unlisted, workers=args.workers,
                progress=progress, **target)
        except (FileNotFoundError, checker.PoseTrackAnnotationError) as err:
            fail(str(err))  # no annotation file to check at all
        # The annotation path as checked (under data_root when relative).
        ann_path = os.path.join(target['data_root'], target['ann_file'])
        print(f'{ann_path}: {report.format()}')
        all_ok = all_ok and report.ok
    return EXIT_CLEAN if all_ok else EXIT_BAD_DATA


if __name__ == '__main__':
    sys.exit(main())
