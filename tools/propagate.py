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
annotations gets the poses of every track on its nearest labelled frames (both sides, fused)
in PoseTrack json (``track_id``, ``keypoints``, per-joint ``scores``, ``bbox``), which
``PoseTrackVideoDataset(pseudo_label_file=...)`` reads. The file is written atomically;
finished videos are kept in ``PSEUDO.json.partial`` so that ``--resume`` continues a killed
run. ``--eval`` prints the PoseTrack AP of the pseudo-labels against the hidden labels.
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
    from mmengine.config import Config
    from tqdm import tqdm

    import stdpose_mm  # noqa: F401
    from stdpose_mm.apis.propagation import (
        ModelPropagator,
        PropagationOutputExists,
        evaluate_pseudo_labels,
        plan_propagation,
        run_baseline,
        write_pseudo_labels,
    )
    from stdpose_mm.datasets import PoseTrackVideoDataset
    from stdpose_mm.datasets.posetrack_annotations import (
        load_json,
        load_video_annotations,
        select_labeled_frames,
    )
    from stdpose_mm.evaluation.functional import POSETRACK18_CATEGORY

    cfg = Config.fromfile(args.config)
    train_set = cfg.train_dataloader.dataset
    while 'dataset' in train_set:  # dataset wrappers
        train_set = train_set.dataset
    data_root = args.data_root if args.data_root is not None else train_set.get('data_root', '')
    ann_file = args.ann or osp.join(data_root, train_set.ann_file)
    label_rule = dict(labeled_ratio=args.labeled_ratio, label_stride=args.label_stride,
                      labeled_frames=args.labeled_frames)
    if all(value is None for value in label_rule.values()):
        label_rule = {key: train_set.get(key) for key in label_rule}
    if isinstance(label_rule['labeled_frames'], str):
        label_rule['labeled_frames'] = load_json(label_rule['labeled_frames'])

    metainfo = PoseTrackVideoDataset._load_metainfo(train_set.get('metainfo'))
    videos = load_video_annotations(ann_file, metainfo['num_keypoints'],
                                    vid_key=train_set.get('vid_key', 'vid_id'),
                                    frame_key=train_set.get('frame_key'))
    labeled = select_labeled_frames(videos, **label_rule)
    targets = plan_propagation(videos, labeled, args.max_distance)
    by_video = {}
    for target in targets:
        by_video.setdefault(target.vid_id, []).append(target)
    num_labeled = sum(len(v) for v in labeled.values())
    print(f'{ann_file}: {len(videos)} videos, {num_labeled} labelled frames, '
          f'{len(targets)} frames to propagate ({args.method})')

    bar = tqdm(total=len(targets), unit='frame', desc='propagate')
    if args.method == 'model':
        from mmpose.apis import init_model

        model = init_model(cfg, args.checkpoint, device=args.device)
        test_set = cfg.test_dataloader.dataset
        img_prefix = osp.join(data_root, train_set.get('data_prefix', {}).get('img', ''))
        propagator = ModelPropagator(
            model, test_set.pipeline, metainfo, img_prefix,
            num_frames=len(train_set.get('frame_indices', (-2, -1, 0, 1, 2))),
            batch_size=args.batch_size, num_workers=args.num_workers)

        def video_results(vid_id):
            return propagator(videos, by_video[vid_id], progress=bar.update)
    else:
        def video_results(vid_id):
            for result in run_baseline(args.method, by_video[vid_id]):
                bar.update(1)
                yield result
    try:
        content = write_pseudo_labels(args.out, video_results, sorted(by_video),
                                      categories=[POSETRACK18_CATEGORY], resume=args.resume,
                                      overwrite=args.overwrite)
    except PropagationOutputExists as err:
        bar.close()
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
    bar.close()
    print(f'wrote {args.out}: {len(content["annotations"])} propagated poses on '
          f'{len(content["images"])} frames')
    if args.eval:
        import json

        from stdpose_mm.evaluation.functional import format_ap_table

        results = {}
        for subset in (None, 'occluded'):
            try:
                result = evaluate_pseudo_labels(ann_file, content, subset)
            except ValueError as err:  # no occluded flags in these annotations
                print(f'({subset}: {err})')
                continue
            results[subset or 'all'] = result
            print(f'pseudo-label AP vs hidden labels{" (" + subset + ")" if subset else ""}:')
            print(format_ap_table(result))
        if args.eval_out:
            with open(args.eval_out, 'w') as f:
                json.dump(results, f, indent=1, default=float)


if __name__ == '__main__':
    main()
