"""Propagate the labelled poses of sparsely-labelled videos to their unlabelled frames.

Usage:
    python tools/propagate.py CONFIG CHECKPOINT --out PSEUDO.json [--ann ANN]
        [--label-stride K | --labeled-ratio R | --labeled-frames JSON]
        [--method model|copy|interpolate] [--max-distance D] [--resume | --overwrite]
        [--eval] [--device cpu]

CONFIG / CHECKPOINT: a pose propagation model (``configs/stdpose_propagation_*.py``); with
``--method copy|interpolate`` pass ``-`` for CHECKPOINT (CONFIG then only supplies the
dataset). ``--ann`` (default: the config's training ``ann_file``) holds the videos; the
labelled frames are the config's training sparse-label setting (``label_stride``,
``labeled_ratio`` or ``labeled_frames``) unless given here. Every other frame listed in the
annotations gets the poses of every track on its nearest labelled frames (both sides: the
bidirectional model uses both at once, the one-sided model is run from each and fused)
in PoseTrack json (``track_id``, ``keypoints``, per-joint ``scores``, ``bbox``), which
``PoseTrackVideoDataset(pseudo_label_file=...)`` reads. The file is written atomically;
finished videos are kept in ``PSEUDO.json.partial`` so that ``--resume`` continues a killed
run (refused if that run used another method, checkpoint or label rule, which the file
records). ``--eval`` prints the PoseTrack AP of the pseudo-labels against the hidden labels:
overall, on occluded joints and by distance to the nearest label. The work is
:func:`stdpose_mm.apis.propagate_from_config`; this tool parses the arguments.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='propagation model config (dataset settings too)')
    parser.add_argument('checkpoint', help='model checkpoint ("-" for copy/interpolate)')
    parser.add_argument('--out', required=True, help='pseudo-label json to write')
    parser.add_argument('--ann', help="annotations (default: the config's training ann_file)")
    parser.add_argument('--data-root', help="root of ann/frames (default: the config's)")
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--label-stride', type=int, help='labelled: every k-th annotated frame')
    labels.add_argument('--labeled-ratio', type=float, help='labelled: this fraction')
    labels.add_argument('--labeled-frames', help='labelled: json {vid_id: [frame numbers]}')
    parser.add_argument('--method', choices=('model', 'copy', 'interpolate'), default='model')
    parser.add_argument('--max-distance', type=int, default=None,
                        help='ignore labelled frames farther than this (default: no limit)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    state = parser.add_mutually_exclusive_group()
    state.add_argument('--resume', action='store_true', help='continue an unfinished run')
    state.add_argument('--overwrite', action='store_true', help='replace an existing output')
    parser.add_argument('--eval', action='store_true',
                        help='print the AP of the pseudo-labels against the hidden labels')
    parser.add_argument('--eval-out', help='with --eval: write the APs here (json)')
    return parser.parse_args()


def main():
    args = parse_args()
    from tqdm import tqdm

    import stdpose_mm  # noqa: F401
    from stdpose_mm.apis import PropagationOutputExists, propagate_from_config
    from stdpose_mm.evaluation.functional import format_ap_table
    from stdpose_mm.utils.atomic_io import atomic_write_bytes
    from stdpose_mm.utils.cli import fail

    label_rule = dict(labeled_ratio=args.labeled_ratio, label_stride=args.label_stride,
                      labeled_frames=args.labeled_frames)
    bar = tqdm(unit='frame', desc='propagate')
    try:
        result = propagate_from_config(
            args.config, args.out, checkpoint=args.checkpoint, method=args.method,
            ann_file=args.ann, data_root=args.data_root, label_rule=label_rule,
            max_distance=args.max_distance, batch_size=args.batch_size,
            num_workers=args.num_workers, device=args.device, resume=args.resume,
            overwrite=args.overwrite, evaluate=args.eval, progress=bar.update)
    except PropagationOutputExists as err:
        bar.close()
        fail(err)
    bar.close()
    if args.eval:
        import json

        metrics = result['metrics']
        for subset in ('all', 'occluded'):
            if subset in metrics:
                print('pseudo-label AP vs hidden labels'
                      f'{" (occluded joints)" if subset == "occluded" else ""}:')
                print(format_ap_table(metrics[subset]))
        for distance, tables in metrics['by_distance'].items():
            print(f'distance {distance} to the nearest label ({tables["num_frames"]} frames): '
                  + ', '.join(f'{subset} {tables[subset]["Total"]:.1f} AP'
                              for subset in ('all', 'occluded') if subset in tables))
        if args.eval_out:
            atomic_write_bytes(json.dumps(metrics, indent=1, default=float).encode(),
                               args.eval_out)


if __name__ == '__main__':
    main()
