"""Evaluate PoseTrack18 predictions with the built-in poseval-equivalent AP (no poseval).

Usage:
    python tools/eval_posetrack.py GT_DIR PRED_DIR [--out metrics.json] [--subset occluded]

GT_DIR holds one PoseTrack18 json per video (``images`` + ``annotations``), PRED_DIR one
prediction json per video under the same file name (``keypoints`` 17 x 3, per-joint
``scores``, ``image_id``, ``track_id``). Prints poseval's AP table; ``--out`` writes
``{Head, Shoulder, Elbow, Wrist, Hip, Knee, Ankle, Total, per_joint}`` (percent; NaN as
null). Bad input prints one ``error: ...`` line on stderr and exits with code 2.

It needs only numpy: without torch / MMPose installed, ``stdpose_mm`` imports its numpy-only
core alone (``stdpose_mm/optional_deps.py``).
"""
from __future__ import annotations

import argparse
import json
import math
import os.path as osp
import sys
import warnings
from pathlib import Path
from typing import Any, Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.evaluation.functional import (  # noqa: E402
    RESULT_KEYS,
    PoseTrackFormatError,
    evaluate_posetrack,
    format_ap_table,
)
from stdpose_mm.utils.cli import OneLineErrorParser, fail  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        argparse.Namespace: ``gt``, ``pred``, ``out``, ``subset`` and ``per_joint``.
    """
    parser = OneLineErrorParser(description=__doc__.split('\n\n')[0])
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            result = evaluate_posetrack(args.gt, args.pred, subset=args.subset)
        except PoseTrackFormatError as exc:
            fail(str(exc))
    for warning in caught:
        print(f'warning: {warning.message}', file=sys.stderr)
    title = 'Average Precision (AP) metric' + (f', {args.subset} joints' if args.subset else '')
    print(f'{title}:')
    print(format_ap_table(result, per_joint=args.per_joint))
    if args.out:
        keys = list(RESULT_KEYS) + ['per_joint']
        try:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({key: _json_value(result[key]) for key in keys}, indent=2))
        except OSError as exc:
            fail(f'cannot write {args.out}: {exc}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
