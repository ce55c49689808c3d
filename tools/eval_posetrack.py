"""Evaluate PoseTrack18 predictions with the built-in poseval-equivalent AP (no poseval).

Usage:
    python tools/eval_posetrack.py GT_DIR PRED_DIR [--out metrics.json] [--subset occluded]

GT_DIR holds one PoseTrack18 json per video (``images`` + ``annotations``), PRED_DIR one
prediction json per video under the same file name (``keypoints`` 17 x 3, per-joint
``scores``, ``image_id``, ``track_id``). Prints poseval's AP table; ``--out`` writes
``{Head, Shoulder, Elbow, Wrist, Hip, Knee, Ankle, Total, per_joint}`` (percent; NaN as
null). Bad input prints one ``error: ...`` line on stderr and exits with code 2.

The evaluation module is loaded by file path rather than through the ``stdpose_mm`` package,
whose ``__init__`` imports mmpose / torch: the tool needs only numpy and starts in well under
a second.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, Optional, Sequence

MODULE_PATH = (Path(__file__).resolve().parents[1] / 'stdpose_mm' / 'evaluation' /
               'functional' / 'posetrack_ap.py')
EXIT_BAD_INPUT = 2


def load_posetrack_ap() -> ModuleType:
    """Import ``posetrack_ap.py`` by path, bypassing the torch-importing package inits."""
    name = '_stdpose_posetrack_ap'
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MODULE_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f'cannot load {MODULE_PATH}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


class _ArgumentParser(argparse.ArgumentParser):
    """argparse with a single ``error: ...`` line and exit code 2 on bad arguments."""

    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str) -> NoReturn:
    """Print one ``error:`` line on stderr and exit with code 2."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        argparse.Namespace: ``gt``, ``pred``, ``out``, ``subset`` and ``per_joint``.
    """
    parser = _ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('gt', help='directory of per-video PoseTrack18 GT jsons (or one json)')
    parser.add_argument('pred', help='directory of per-video prediction jsons (same names)')
    parser.add_argument('--out', help='write the APs to this json file')
    parser.add_argument('--subset', choices=['occluded'],
                        help='AP on the GT joints flagged in the annotations\' "occluded" lists')
    parser.add_argument('--per-joint', action='store_true', help='also print the 15 joint APs')
    return parser.parse_args(argv)


def _json_value(value: Any) -> Any:
    """NaN (joint without GT) -> null, so that the file is strict json."""
    if isinstance(value, dict):
        return {key: _json_value(val) for key, val in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the evaluation; returns the process exit code."""
    args = parse_args(argv)
    posetrack_ap = load_posetrack_ap()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            result = posetrack_ap.evaluate_posetrack(args.gt, args.pred, subset=args.subset)
        except posetrack_ap.PoseTrackFormatError as exc:
            fail(str(exc))
    for warning in caught:
        print(f'warning: {warning.message}', file=sys.stderr)
    title = 'Average Precision (AP) metric' + (f', {args.subset} joints' if args.subset else '')
    print(f'{title}:')
    print(posetrack_ap.format_ap_table(result, per_joint=args.per_joint))
    if args.out:
        keys = list(posetrack_ap.RESULT_KEYS) + ['per_joint']
        try:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({key: _json_value(result[key]) for key in keys}, indent=2))
        except OSError as exc:
            fail(f'cannot write {args.out}: {exc}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
