"""Which frames to label next: rank the unlabelled frames, write a labelling plan.

Usage:
    python tools/suggest_frames.py [CONFIG CHECKPOINT] --ann ANN --budget N --out PLAN.json
        [--label-stride K | --labeled-ratio R | --labeled-frames JSON]
        [--min-separation 2] [--seed-stride 8] [--fairness proportional] [--device cpu]

CONFIG / CHECKPOINT (optional, both or neither): a pose propagation model
(``configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py`` is the bidirectional one);
its disagreement with the interpolation is added to the ranking. Without them the ranking
needs no trained model: the disagreement of the labelled neighbours' motions with the
interpolation, joints labelled on one side only, video ends and gap length. The labelled
frames are those with annotations in ANN unless a label rule is given; a video without any
gets a uniform seed first (label it and plan again). Picks are greedy, re-scored after each
pick, never closer than ``--min-separation`` frames to a labelled or picked frame.

PLAN.json is ``{vid_id: [frame numbers]}`` (labelled before + picked), which
``PoseTrackVideoDataset(labeled_frames='PLAN.json')`` and ``--labeled-frames`` read, plus
the picks with score (expected gain in joint labels) and reason under ``_labelling_plan``.
A short table of the picks goes to stdout. The work is
:func:`stdpose_mm.apis.suggest_frames`; this tool parses the arguments.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.cli import OneLineErrorParser, fail  # noqa: E402


def parse_args(argv=None):
    parser = OneLineErrorParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', nargs='?', help='propagation model config (optional)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint (with CONFIG)')
    parser.add_argument('--ann', required=True, help='annotations of the videos')
    parser.add_argument('--budget', type=int, required=True, help='frames to label next')
    parser.add_argument('--out', required=True, help='plan json to write')
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--label-stride', type=int, help='labelled: every k-th annotated frame')
    labels.add_argument('--labeled-ratio', type=float, help='labelled: this fraction')
    labels.add_argument('--labeled-frames', help='labelled: json {vid_id: [frame numbers]}')
    parser.add_argument('--min-separation', type=int, default=2,
                        help='frames between picks and labels (2: never neighbours)')
    parser.add_argument('--seed-stride', type=int, default=8,
                        help='uniform seed of a video without labels: every k-th frame')
    parser.add_argument('--fairness', choices=('proportional',),
                        help="cap each video's picks at its share of the unlabelled frames")
    parser.add_argument('--data-root', help="root of the frames (model only; default: the "
                        "config's)")
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--show', type=int, default=20, help='picks printed (default: 20)')
    args = parser.parse_args(argv)
    if (args.config is None) != (args.checkpoint is None):
        parser.error('give CONFIG and CHECKPOINT together, or neither (model-free ranking)')
    return args


def main(argv=None):
    args = parse_args(argv)
    from stdpose_mm.apis import format_plan_table, suggest_frames

    label_rule = dict(label_stride=args.label_stride, labeled_ratio=args.labeled_ratio,
                      labeled_frames=args.labeled_frames)
    try:
        picks, _ = suggest_frames(
            args.ann, args.budget, args.out, config=args.config, checkpoint=args.checkpoint,
            label_rule=label_rule, data_root=args.data_root,
            min_separation=args.min_separation, seed_stride=args.seed_stride,
            fairness=args.fairness, device=args.device)
    except (FileNotFoundError, ValueError) as err:
        fail(err)
    print(format_plan_table(picks, args.show))
    print(f'wrote {args.out}: {len(picks)} frames to label')
    return 0


if __name__ == '__main__':
    sys.exit(main())
