"""Which frames to label next, simulated: the labelling plan against uniform and random.

On synthetic PoseTrack sets whose every frame is labelled (the labels are hidden from the
policies), every ``--seed-stride``-th frame starts labelled; each policy adds N frames:
(a) ``uniform``: the middle of the longest gap (the labelled frames stay at a uniform
stride), (b) ``random`` (``--random-seeds`` runs, mean +- std), (c) ``plan``:
:func:`stdpose_mm.apis.labelling_plan`. The other frames are interpolated (the propagators'
baseline, numpy only) and scored against the hidden labels with our PoseTrack AP, overall
and on occluded joints.

Three sets are generated once (``DATA_DIR/labelling_sim_<name>``): ``tune`` (seed 0) is the
only set the plan's drift constant is chosen on (``--drift-grid``, by the mean AP over the
budgets); ``synthetic`` (seed 1) and ``harder`` (seed 2, 2.5x faster motion, occluders in
90% of the videos) are reported. Writes the table (markdown), the numbers (json) and the
plot (AP against labelled frames). Numpy only: 191 s on two CPU cores shared with a
training run (most of it the AP evaluation); the sets are generated on the first run.

``--retrain`` then retrains the estimator for one budget (``--retrain-per-video`` frames per
training video): on a set with training and val videos (``--retrain-data-root``, or
generated as ``DATA_DIR/labelling_sim_<--retrain-set>_retrain`` with the reported set's
generator settings), each of ``--retrain-policies`` labels the training videos, the other
frames get interpolated pseudo-labels, and the single-frame estimator
(``configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_pseudo.py``) trains on them for
``--retrain-epochs`` epochs, the same for every policy
(:func:`stdpose_mm.apis.labelling_retrain.retrain_policies`). Its table reports the val AP
of the last epoch. ``--no-simulation --drift D`` runs the retraining alone.

Example:
    python tools/labelling_simulation.py --plot docs/labelling_plan.png \\
        --table work_dirs/labelling_sim/table.md
    python tools/labelling_simulation.py --no-simulation --drift 0.05 --retrain \\
        --data-dir work_dirs/labelling_sim/data --retrain-seeds 0 1
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

# name -> generator settings (the val split, every frame labelled)
SETS = {
    'tune': dict(seed=0),
    'synthetic': dict(seed=1),
    'harder': dict(seed=2, motion_speed=2.5, occluder_prob=0.9),
}
REPORTED = ('synthetic', 'harder')
POLICY_NAMES = {'uniform': '(a) uniform stride', 'random': '(b) random',
                'plan': '(c) labelling plan'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-dir', default='data', help='sets go to DATA_DIR/labelling_sim_*')
    parser.add_argument('--videos', type=int, default=12, help='videos per set')
    parser.add_argument('--frames', type=int, default=60, help='frames per video')
    parser.add_argument('--seed-stride', type=int, default=8,
                        help='the seed labels every k-th frame (default: 8)')
    parser.add_argument('--per-video', type=int, nargs='+', default=[1, 2, 4, 6, 8],
                        help='frames added per video on average (budget = this x videos; '
                        'with the seed stride 8, +8 is exactly stride 4 for uniform)')
    parser.add_argument('--random-seeds', type=int, default=5)
    parser.add_argument('--drift-grid', type=float, nargs='+',
                        default=[0.0, 0.02, 0.05, 0.1, 0.2],
                        help='drift values tried on the tune set')
    parser.add_argument('--drift', type=float, help='skip tuning: use this drift')
    parser.add_argument('--work-dir', default='work_dirs/labelling_sim')
    parser.add_argument('--table', help='markdown table (default: WORK_DIR/table.md)')
    parser.add_argument('--plot', help='PNG of AP against labelled frames')
    parser.add_argument('--no-simulation', action='store_true',
                        help='skip the pseudo-label simulation (with --retrain; needs --drift)')
    retrain = parser.add_argument_group('retraining (--retrain)')
    retrain.add_argument('--retrain', action='store_true',
                         help='retrain the estimator on each policy\'s labels + pseudo-labels')
    retrain.add_argument('--retrain-set', choices=REPORTED, default='harder',
                         help='generator settings of the generated retraining set')
    retrain.add_argument('--retrain-data-root',
                         help='an existing set (annotations/posetrack18_{train,val}.json, '
                         'every training frame labelled) instead of the generated one')
    retrain.add_argument('--retrain-videos', type=int, nargs=2, default=[12, 4],
                         metavar=('TRAIN', 'VAL'), help='videos of the generated set')
    retrain.add_argument('--retrain-per-video', type=float, default=4,
                         help='frames added per training video (budget = this x videos)')
    retrain.add_argument('--retrain-policies', nargs='+', default=['uniform', 'plan'],
                         choices=list(POLICY_NAMES))
    retrain.add_argument('--retrain-seeds', type=int, nargs='+', default=[0],
                         help='training seeds per policy')
    retrain.add_argument('--retrain-epochs', type=int, default=2)
    retrain.add_argument('--retrain-cfg-options', nargs='*', default=[],
                         help='more --cfg-options of every retraining run')
    retrain.add_argument('--skip-done', action='store_true',
                         help='reuse finished retraining runs')
    args = parser.parse_args(argv)
    if args.no_simulation and not args.retrain:
        parser.error('--no-simulation leaves nothing to do without --retrain')
    if args.no_simulation and args.drift is None:
        parser.error('--no-simulation needs --drift (the tuned value: 0.05 in '
                     'docs/labelling_plan.md)')
    return args


def ensure_set(args, name):
    from stdpose_mm.datasets.synthetic import generate_posetrack

    root = osp.join(args.data_dir, f'labelling_sim_{name}')
    ann_file = osp.join(root, 'annotations', 'posetrack18_val.json')
    if not osp.isfile(ann_file):
        print(f'generating the {name} set in {root}', flush=True)
        generate_posetrack(root, num_videos={'val': args.videos}, num_frames=args.frames,
                           image_size=(256, 192), write_masks=False, **SETS[name])
    return ann_file


def ensure_retrain_set(args):
    """The retraining set's root: ``--retrain-data-root`` or the generated one."""
    from stdpose_mm.datasets.synthetic import generate_posetrack

    if args.retrain_data_root:
        return args.retrain_data_root.rstrip('/') + '/'
    root = osp.join(args.data_dir, f'labelling_sim_{args.retrain_set}_retrain') + '/'
    if not osp.isfile(osp.join(root, 'annotations', 'posetrack18_val.json')):
        print(f'generating the {args.retrain_set} retraining set in {root}', flush=True)
        train_videos, val_videos = args.retrain_videos
        generate_posetrack(root, num_videos={'train': train_videos, 'val': val_videos},
                           num_frames=args.frames, image_size=(256, 192), label_stride=1,
                           write_masks=False, **SETS[args.retrain_set])
    return root


def retrain_table(name, result, drift):
    """Markdown lines of the retraining runs (mean +- std over the training seeds)."""
    from stdpose_mm.apis.experiments import mean_std as stat

    frames, labelled = result['frames'], result['labelled']
    seeds = sorted({run['seed'] for run in result['runs']})
    lines = [f'**Retraining**, {name} ({frames} training frames, +{result["budget"]} '
             f'frames: {labelled} labelled, {100 * labelled / frames:.1f}%; plan drift '
             f'{drift}): single-frame estimator, {result["epochs"]} epochs, val AP of the '
             f'last epoch, training seeds {seeds}' +
             (' (mean +- std)' if len(seeds) > 1 else '') + ':', '',
             '| policy | pseudo-label AP, train videos (all / occluded) | val AP | '
             'val AP (occluded joints) | train min |', '|---|---|---:|---:|---:|']
    for policy, policy_name in POLICY_NAMES.items():
        runs = [run for run in result['runs'] if run['policy'] == policy]
        if not runs:
            continue
        lines.append(f'| {policy_name} | {runs[0]["pseudo_all"]:.1f} / '
                     f'{runs[0]["pseudo_occluded"]:.1f} | {stat([r["all"] for r in runs])} | '
                     f'{stat([r["occluded"] for r in runs])} | '
                     f'{stat([r["train_minutes"] for r in runs])} |')
    return lines + ['']


def summarise(result):
    """``(policy, budget) -> {labelled, all: (mean, std), occluded: (mean, std)}``."""
    import numpy as np

    rows = {}
    for run in result['runs']:
        rows.setdefault((run['policy'], run['budget']), []).append(run)
    out = {}
    for key, runs in rows.items():
        # The sample std (ddof 1), as every seed spread of the project (0 for one run).
        out[key] = dict(labelled=runs[0]['labelled'], runs=len(runs), **{
            subset: (float(np.mean([r[subset] for r in runs])),
                     float(np.std([r[subset] for r in runs], ddof=1)) if len(runs) > 1
                     else 0.0) for subset in ('all', 'occluded')})
    return out


def table(name, result, drift):
    summary = summarise(result)
    frames, seed = result['frames'], result['seed']
    budgets = sorted({budget for _, budget in summary})
    lines = [f'**{name}** set ({frames} frames; seed: {seed["labelled"]} labelled frames, '
             f'{seed["all"]:.1f} AP / {seed["occluded"]:.1f} AP on occluded joints; plan '
             f'drift {drift}). Pseudo-label AP of the interpolated frames, all joints / '
             'occluded joints (random: mean +- std):', '',
             '| frames added | labelled | ' + ' | '.join(POLICY_NAMES.values()) +
             ' | plan - uniform |', '|---:|---:|' + '---|' * len(POLICY_NAMES) + '---:|']
    for budget in budgets:
        cells = []
        for policy in POLICY_NAMES:
            row = summary[(policy, budget)]
            if row['runs'] > 1:
                cells.append(' / '.join(f'{row[s][0]:.1f} +- {row[s][1]:.1f}'
                                        for s in ('all', 'occluded')))
            else:
                cells.append(' / '.join(f'{row[s][0]:.1f}' for s in ('all', 'occluded')))
        labelled = summary[('plan', budget)]['labelled']
        plan, uniform = summary[('plan', budget)], summary[('uniform', budget)]
        margin = ' / '.join(f'{plan[s][0] - uniform[s][0]:+.1f}' for s in ('all', 'occluded'))
        lines.append(f'| +{budget} | {labelled} ({100 * labelled / frames:.1f}%) | ' +
                     ' | '.join(cells) + f' | {margin} |')
    return lines + ['']


def plot(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    subsets = {'all': 'all joints', 'occluded': 'occluded joints'}
    figure, axes = plt.subplots(len(subsets), len(results), figsize=(5.5 * len(results), 7.5),
                                squeeze=False)
    styles = {'uniform': ('tab:blue', 'o'), 'random': ('tab:gray', 's'),
              'plan': ('tab:red', '^')}
    for column, (name, result) in enumerate(results.items()):
        summary = summarise(result)
        frames = result['frames']
        for row, (subset, subset_name) in enumerate(subsets.items()):
            axis = axes[row][column]
            for policy, label in POLICY_NAMES.items():
                keys = sorted(k for k in summary if k[0] == policy)
                x = [100 * result['seed']['labelled'] / frames] + [
                    100 * summary[k]['labelled'] / frames for k in keys]
                y = [result['seed'][subset]] + [summary[k][subset][0] for k in keys]
                err = [0.0] + [summary[k][subset][1] for k in keys]
                color, marker = styles[policy]
                axis.errorbar(x, y, yerr=err, color=color, marker=marker, capsize=3,
                              label=label)
            axis.set_title(f'{name} set, {subset_name}')
            axis.set_xlabel('labelled frames (%)')
            axis.set_ylabel('pseudo-label AP (interpolation)')
            axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv=None):
    args = parse_args(argv)
    from stdpose_mm.apis import ErrorModel, simulate_labelling

    started = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    common = dict(seed_stride=args.seed_stride, random_seeds=list(range(args.random_seeds)))
    budgets = [n * args.videos for n in args.per_video]
    drift, tuning = args.drift, {}
    if drift is None:
        ann_file = ensure_set(args, 'tune')
        for value in args.drift_grid:
            result = simulate_labelling(ann_file, budgets, policies=['plan'], subsets=[None],
                                        error_model=ErrorModel(drift=value), **common)
            tuning[value] = sum(r['all'] for r in result['runs']) / len(result['runs'])
            print(f'tune set, drift {value}: plan {tuning[value]:.2f} AP (mean over budgets)',
                  flush=True)
        drift = max(tuning, key=lambda value: (tuning[value], -value))
    results, lines = {}, []
    for name in () if args.no_simulation else REPORTED:
        ann_file = ensure_set(args, name)
        results[name] = simulate_labelling(ann_file, budgets, error_model=ErrorModel(
            drift=drift), **common, log=lambda line, name=name: print(f'{name}: {line}',
                                                                       flush=True))
        lines += table(name, results[name], drift)
    if tuning:
        lines += ['Tuning (the tune set only): plan AP, mean over the budgets, per drift: ' +
                  ', '.join(f'{value}: {ap:.2f}' for value, ap in tuning.items()) +
                  f' -> drift {drift}.', '']
    retrained = None
    if args.retrain:
        from stdpose_mm.apis import retrain_policies
        from stdpose_mm.datasets import load_video_annotations

        data_root = ensure_retrain_set(args)
        train_videos = load_video_annotations(
            osp.join(data_root, 'annotations', 'posetrack18_train.json'), 17)
        budget = int(round(args.retrain_per_video * len(train_videos)))
        retrained = retrain_policies(
            data_root, budget, osp.join(args.work_dir, 'retrain'),
            policies=args.retrain_policies, seeds=args.retrain_seeds,
            epochs=args.retrain_epochs, seed_stride=args.seed_stride,
            error_model=ErrorModel(drift=drift), cfg_options=args.retrain_cfg_options,
            skip_done=args.skip_done, log=lambda line: print(f'retrain: {line}', flush=True))
        lines += retrain_table(data_root, retrained, drift)
    text = '\n'.join(lines)
    print(text)
    # The retraining alone does not replace the simulation's table and numbers.
    prefix = 'retrain_' if args.no_simulation else ''
    table_file = args.table or osp.join(args.work_dir, f'{prefix}table.md')
    with open(table_file, 'w') as f:
        f.write(text + '\n')
    with open(osp.join(args.work_dir, f'{prefix}results.json'), 'w') as f:
        json.dump(dict(drift=drift, tuning=tuning, results=results, retrain=retrained), f,
                  indent=1)
    if args.plot and results:
        plot(results, args.plot)
    print(f'done in {time.time() - started:.0f} s: {table_file}'
          + (f', {args.plot}' if args.plot else ''))


if __name__ == '__main__':
    main()
