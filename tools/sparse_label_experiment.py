"""The sparse-label experiment end to end: propagate the labels, retrain, compare.

Through the standard tools, on synthetic PoseTrack sets of 30-frame videos:

1. for each set (``synthetic``: smooth motion; ``fast``: 3x faster motion and more
   occluders) and each protocol (every 4th frame labelled: 8 / 30 = 26.7%, STDPose's
   fraction; every 7th: PoseWarper's protocol), train the propagation models: the
   one-sided model (one labelled pose at a time,
   ``configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py``)
   and the bidirectional one (``configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py``);
2. ``tools/propagate.py --eval`` with (a) ``copy``, (b) ``interpolate``, (c) the one-sided
   model, (d) the bidirectional model (trained on labelled and hidden targets: the distances
   of use) and (e) the bidirectional model trained on labelled targets only, scored against
   the hidden labels of the *val* videos under the same label rule (no propagator trained on
   them): PoseTrack AP overall, on occluded joints and by distance to the nearest label;
3. write the training pseudo-labels of ``--pseudo-methods`` and retrain an estimator
   (``--retrain-model single-frame`` or ``temporal``, the headline STDPose + Feng & Chen
   model; ``configs/sparse/``) on the labels alone (per epoch and, with ``--equal-iters``,
   for as many iterations as 100% labels), on labels + each method's pseudo-labels and on
   100% labels, for each seed. (d)'s pseudo-labels come from a propagator supervised by the
   hidden training labels, so that row spends more than the labelled fraction; (e)'s do not.

Every finished run (a propagator's val scores, a retraining's metrics and val curve) is
appended to ``--results`` with a digest of its setting; a rerun with the same setting reuses
it, on any machine, so a committed results file lets an experiment longer than one session
add up (the work dir is needed only for runs still to do; a pseudo-label row still to do
trains its propagator again if the checkpoint is gone; ``--train-rows`` splits the
retraining rows between processes or sessions). Prints the tables (markdown) and
writes them to ``WORK_DIR/table.md``. The default is the
quick demo (``synthetic``, every 4th frame, single-frame retraining, one seed);
``--full`` is the whole experiment (both sets, both protocols, all five propagators, each
model trained with 3 seeds, the temporal model retrained with 3 seeds on (d)'s and (e)'s
pseudo-labels, equal iterations).

Example:
    python tools/sparse_label_experiment.py --work-dir work_dirs/sparse
    python tools/sparse_label_experiment.py --work-dir work_dirs/sparse_full --full \
        --results docs/results/sparse_runs.jsonl
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.apis.experiments import (  # noqa: E402
    REPO_ROOT,
    TOTAL_AP,
    append_run,
    config_identity,
    data_root_options,
    epoch_options,
    late_gain,
    mean_std,
    read_runs,
    read_val_curve,
    setting_digest,
    train_and_test,
)
from stdpose_mm.apis.experiments import run_logged as run  # noqa: E402

ONESIDED_CONFIG = 'configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py'
BIDIRECTIONAL_CONFIG = 'configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py'
# name -> (row label, propagation model config or None for a baseline, --cfg-options)
PROPAGATORS = {
    'copy': ('(a) copy nearest labelled pose', None, []),
    'interpolate': ('(b) linear interpolation', None, []),
    'onesided': ('(c) one-sided model', ONESIDED_CONFIG, []),
    'bidirectional': ('(d) bidirectional model', BIDIRECTIONAL_CONFIG, []),
    'bidirectional-labelled': (
        '(e) bidirectional model, labelled targets only', BIDIRECTIONAL_CONFIG,
        ['train_dataloader.dataset.propagation_triples.hidden_targets=False']),
}
DEFAULT_METHODS = ['copy', 'interpolate', 'bidirectional']
# name -> generator arguments (besides sizes); the data folder is <data-dir>/<folder>
SETS = {
    'synthetic': ('synthetic_sparse', ['--seed', '0']),
    'fast': ('synthetic_sparse_fast', ['--seed', '1', '--motion-speed', '3.0',
                                       '--occluder-prob', '0.9']),
}
PROTOCOLS = {4: 'every 4th frame labelled (26.7%, STDPose)',
             7: "every 7th frame labelled (PoseWarper's protocol)"}
# Kinds of retraining row, in table order (--train-rows).
RETRAIN_ROWS = ['labels', 'equal-iters', 'pseudo', 'full']
ESTIMATOR_CONFIGS = {
    'single-frame': 'configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_{}.py',
    'temporal': 'configs/sparse/stdpose-combined_tiny-hrnet_synthetic-sparse_{}.py',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/sparse')
    parser.add_argument('--data-dir', default='data', help='where the sets are (generated)')
    parser.add_argument('--full', action='store_true',
                        help="the whole experiment: --sets synthetic fast --protocols 4 7 "
                        '--methods (all) --propagation-seeds 0 1 2 --retrain-model temporal '
                        '--seeds 0 1 2 --equal-iters '
                        '--pseudo-methods bidirectional bidirectional-labelled')
    parser.add_argument('--sets', nargs='+', choices=sorted(SETS), default=['synthetic'])
    parser.add_argument('--protocols', nargs='+', type=int, choices=sorted(PROTOCOLS),
                        default=[4])
    parser.add_argument('--methods', nargs='+', choices=list(PROPAGATORS),
                        default=DEFAULT_METHODS)
    parser.add_argument('--retrain-model', choices=sorted(ESTIMATOR_CONFIGS),
                        default='single-frame')
    parser.add_argument('--retrain-protocol', type=int, default=4,
                        help='label stride of the retraining (on the first set)')
    parser.add_argument('--pseudo-methods', nargs='+', choices=list(PROPAGATORS),
                        default=['bidirectional'],
                        help='propagators whose pseudo-labels the estimator retrains on')
    parser.add_argument('--no-retrain', action='store_true', help='propagation tables only')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0],
                        help='training seeds of every retraining row')
    parser.add_argument('--propagation-seeds', nargs='+', type=int, default=[0],
                        help='training seeds of every propagation model (the first one\'s '
                        'pseudo-labels are the retraining\'s)')
    parser.add_argument('--equal-iters', action='store_true',
                        help='also train "labels alone" for as many iterations as 100%%')
    parser.add_argument('--train-rows', nargs='+', choices=RETRAIN_ROWS, default=RETRAIN_ROWS,
                        help='retraining rows to train now (others show what is recorded): '
                        'split the runs between processes or sessions')
    parser.add_argument('--videos', nargs=2, type=int, default=[32, 4], metavar=('TRAIN', 'VAL'))
    parser.add_argument('--frames', type=int, default=30)
    parser.add_argument('--propagation-epochs', type=int, default=None,
                        help="propagation model epochs (default: the configs')")
    parser.add_argument('--estimator-epochs', type=int, default=None,
                        help="estimator epochs (default: the configs')")
    parser.add_argument('--train-samples', type=int, default=None,
                        help='smoke runs: train on this many samples, one batch per epoch')
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='more --cfg-options for every training and test run')
    parser.add_argument('--num-workers', type=int, default=2, help='for tools/propagate.py')
    parser.add_argument('--skip-done', action='store_true',
                        help="reuse finished steps' files in the work dir")
    parser.add_argument('--results', default=None,
                        help='finished runs, one json line each, reused wherever their setting '
                        'matches, also on another machine (default: WORK_DIR/runs.jsonl; the '
                        "project's committed runs: docs/results/sparse_runs.jsonl)")
    args = parser.parse_args(argv)
    args.results = args.results or osp.join(args.work_dir, 'runs.jsonl')
    if args.full:
        args.sets, args.protocols, args.methods = ['synthetic', 'fast'], [4, 7], list(PROPAGATORS)
        args.retrain_model, args.seeds, args.equal_iters = 'temporal', [0, 1, 2], True
        args.propagation_seeds = [0, 1, 2]
        args.pseudo_methods = ['bidirectional', 'bidirectional-labelled']
    return args


def ensure_set(args, name):
    folder, generator_args = SETS[name]
    data_root = osp.join(args.data_dir, folder).rstrip('/') + '/'
    if not osp.isfile(osp.join(REPO_ROOT, data_root, 'annotations/posetrack18_val.json')):
        print(f'generating the {name} set in {data_root}', flush=True)
        subprocess.run([sys.executable, 'tools/make_synthetic_posetrack.py', data_root,
                        '--train-videos', str(args.videos[0]), '--val-videos',
                        str(args.videos[1]), '--frames', str(args.frames),
                        '--label-stride', '1', '--quiet', *generator_args],
                       cwd=REPO_ROOT, check=True)
    return data_root


def run_options(args, data_root, epochs, seed=None):
    options = data_root_options(data_root) + (epoch_options(epochs) if epochs else []) + \
        list(args.cfg_options)
    if args.train_samples:
        options += [f'train_dataloader.dataset.indices={args.train_samples}',
                    f'train_dataloader.batch_size={args.train_samples}']
    if seed is not None:
        options.append(f'randomness.seed={seed}')
    return options


def propagation_options(method, stride):
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    if method == 'onesided':  # labelled pairs up to one gap apart
        return [f'train_dataloader.dataset.label_stride={stride}'] + [
            f'{loader}.dataset.propagation_pairs.max_distance={stride}' for loader in loaders]
    return [f'{loader}.dataset.label_stride={stride}' for loader in loaders]


def propagation_run_name(method, seed):
    """A propagator's file stem for one training seed (seed 0 keeps the plain name)."""
    return method if seed == 0 else f'{method}_seed{seed}'


def set_spec(args, set_name):
    """What a set's videos are generated from (part of every run's setting)."""
    return dict(generator=SETS[set_name][1], videos=list(args.videos), frames=args.frames)


def propagation_plan(args, set_name, data_root, stride, method, seed):
    """One propagator at one training seed: its results key, setting and training options.

    The setting digests what decides the result (set, label rule, the config's effective
    settings with its ``_base_`` files, every ``--cfg-options``), so a recorded run is reused
    only where it would be reproduced.
    """
    _, config, method_options = PROPAGATORS[method]
    options = None
    if config is not None:
        options = (run_options(args, data_root, args.propagation_epochs, seed) +
                   propagation_options(method, stride) + method_options)
    name = propagation_run_name(method, seed)
    return dict(key=f'propagation/{set_name}/stride{stride}/{name}', name=name, config=config,
                options=options, setting=setting_digest(
                    set_spec(args, set_name), stride, method, options,
                    config and config_identity(osp.join(REPO_ROOT, config))))


def pseudo_file_path(args, set_name, stride, method):
    """Where the training pseudo-labels of ``method`` are written."""
    return osp.join(args.work_dir, set_name, f'stride{stride}', f'pseudo_{method}.json')


def propagate(args, set_name, data_root, stride, recorded, pseudo_methods=()):
    """Train the models of one set and protocol; AP of every method on the val videos.

    Args:
        recorded (dict): finished runs by ``(key, setting)`` (:func:`read_runs`); a recorded
            run is neither trained nor evaluated again, a new one is appended to
            ``args.results``.
        pseudo_methods (Iterable[str]): methods whose training pseudo-labels the retraining
            still needs (written with the first training seed's model, trained again if
            its work dir is gone).

    Returns:
        dict: ``method -> {'runs': [metrics of each training seed (one for a baseline)],
        'pseudo_file'}`` (val hidden labels; ``pseudo_file`` for ``pseudo_methods``).
    """
    work_dir = osp.join(args.work_dir, set_name, f'stride{stride}')
    os.makedirs(work_dir, exist_ok=True)
    val_ann = osp.join(data_root, 'annotations', 'posetrack18_val.json')
    results = {}
    for method in args.methods:
        config = PROPAGATORS[method][1]
        results[method] = dict(runs=[])
        # A baseline has no training, so nothing to seed.
        seeds = args.propagation_seeds if config else [0]
        for seed in seeds:
            plan = propagation_plan(args, set_name, data_root, stride, method, seed)
            name = plan['name']
            record = recorded.get((plan['key'], plan['setting']))
            wants_pseudo = method in pseudo_methods and seed == seeds[0]
            if record is None or wants_pseudo:
                checkpoint = '-'
                if config is not None:
                    checkpoint = train_and_test(config, osp.join(work_dir, name),
                                                plan['options'], args.skip_done)['checkpoint']
                common = [config or BIDIRECTIONAL_CONFIG, checkpoint, '--method',
                          'model' if config else 'copy' if method == 'copy' else 'interpolate',
                          '--overwrite', '--data-root', data_root, '--label-stride',
                          str(stride), '--num-workers', str(args.num_workers), '--eval']
            if record is None:
                ap_file = osp.join(work_dir, f'val_{name}_ap.json')
                if not (args.skip_done and osp.isfile(ap_file)):
                    run([sys.executable, 'tools/propagate.py', *common, '--ann', val_ann,
                         '--out', osp.join(work_dir, f'val_{name}.json'), '--eval-out',
                         ap_file], osp.join(work_dir, f'val_{name}.log'))
                with open(ap_file) as f:
                    record = dict(key=plan['key'], setting=plan['setting'], set=set_name,
                                  stride=stride, method=method, seed=seed, metrics=json.load(f))
                append_run(args.results, record)
                recorded[(plan['key'], plan['setting'])] = record
            results[method]['runs'].append(record['metrics'])
            if wants_pseudo:
                out = pseudo_file_path(args, set_name, stride, method)
                train_ap = osp.join(work_dir, f'pseudo_{method}_ap.json')
                if not (args.skip_done and osp.isfile(train_ap)):
                    run([sys.executable, 'tools/propagate.py', *common, '--out', out,
                         '--eval-out', train_ap], osp.join(work_dir, f'pseudo_{method}.log'))
                results[method]['pseudo_file'] = out
            print(f'{set_name}, every {stride}th: {name} '
                  f'{results[method]["runs"][-1]["all"]["Total"]:.1f} AP (val hidden labels)',
                  flush=True)
    return results


def propagation_table(set_name, stride, results):
    """Markdown lines: each propagator's AP on the hidden val labels (mean +- std over its
    training seeds), on occluded joints and by distance to the nearest label (means)."""
    runs_of = {method: result['runs'] for method, result in results.items()}
    distances = sorted({int(d) for runs in runs_of.values() for r in runs
                        for d in r['by_distance']})
    lines = [f'Propagated-pose AP on the hidden labels of the val videos, {set_name} set, '
             f'{PROTOCOLS[stride]} (a trained model: mean +- std over its training seeds; '
             'by distance to the nearest label, means: all joints / occluded joints):', '',
             '| propagator | Total | Total (occluded joints) | ' +
             ' | '.join(f'd={d}' for d in distances) + ' |',
             '|---|---:|---:|' + '---:|' * len(distances)]
    for method, runs in runs_of.items():
        cells = []
        for d in distances:
            tables = [r['by_distance'][str(d)] for r in runs if str(d) in r['by_distance']]
            cells.append(' / '.join(f'{np.mean([t[s]["Total"] for t in tables]):.1f}'
                                    for s in ('all', 'occluded')
                                    if tables and all(s in t for t in tables)) or '-')
        occluded = [r.get('occluded', {}).get('Total', float('nan')) for r in runs]
        lines.append(f'| {PROPAGATORS[method][0]} | '
                     f'{mean_std([r["all"]["Total"] for r in runs])} | '
                     f'{mean_std(occluded)} | ' + ' | '.join(cells) + ' |')
    frames = {d: next((r['by_distance'][str(d)]['num_frames'] for runs in runs_of.values()
                       for r in runs if str(d) in r['by_distance']), 0) for d in distances}
    lines += ['', 'Frames per distance: ' + ', '.join(f'd={d}: {n}' for d, n in
                                                       frames.items()), '']
    return lines


def label_fraction(data_root, stride):
    """Annotated / labelled training frames (the iteration factor of "labels alone")."""
    from stdpose_mm.datasets.posetrack_annotations import (
        load_video_annotations,
        select_labeled_frames,
    )
    videos = load_video_annotations(
        osp.join(REPO_ROOT, data_root, 'annotations/posetrack18_train.json'), 17)
    labelled = select_labeled_frames(videos, label_stride=stride)
    return (sum(len(v.frames) for v in videos.values()) /
            max(1, sum(len(v) for v in labelled.values())))


def retrain_plan(args, set_name, data_root, stride):
    """The retraining table's rows: ``row label -> (epochs, [one run per seed])``, each run
    a dict of its results ``key``, ``setting``, config, work dir, ``--cfg-options`` and, for a
    pseudo-label row, its ``pseudo_method`` (whose first-seed propagator is in the setting)."""
    template = ESTIMATOR_CONFIGS[args.retrain_model]
    epochs = args.estimator_epochs
    if epochs is None:
        from mmengine.config import Config
        epochs = Config.fromfile(osp.join(REPO_ROOT, template.format('labels'))
                                 ).train_cfg.max_epochs
    factor = label_fraction(data_root, stride)
    name = f'{100 / factor:.1f}% labels'
    # row label -> (row kind of RETRAIN_ROWS, training data, epochs)
    rows = {name: ('labels', 'labels', epochs)}
    if args.equal_iters:
        rows[f'{name}, equal iterations'] = ('equal-iters', 'labels',
                                             int(round(epochs * factor)))
    for method in args.pseudo_methods:
        rows[f'{name} + pseudo-labels {PROPAGATORS[method][0]}'] = (
            'pseudo', f'pseudo-{method}', epochs)
    rows['100% labels'] = ('full', 'full', epochs)
    plan = {}
    for row, (row_kind, kind, row_epochs) in rows.items():
        runs = []
        for seed in args.seeds:
            # Validated every epoch: the table shows that the run converged.
            options = run_options(args, data_root, row_epochs, seed) + [
                'train_cfg.val_interval=1']
            propagator = None
            if kind != 'full':
                options.append(f'train_dataloader.dataset.label_stride={stride}')
            # The propagator's setting identifies the pseudo-labels; the file's path (under
            # --work-dir) is left out, so a run recorded from another work dir is reused.
            setting_options = list(options)
            if kind.startswith('pseudo'):
                method = kind[len('pseudo-'):]
                options.append('train_dataloader.dataset.pseudo_label_file=' +
                               pseudo_file_path(args, set_name, stride, method))
                propagator = propagation_plan(args, set_name, data_root, stride, method,
                                              args.propagation_seeds[0])['setting']
            config = template.format(kind.split('-')[0])
            stem = f'{kind}_e{row_epochs}_seed{seed}'
            runs.append(dict(
                key=f'retrain/{args.retrain_model}/{set_name}/stride{stride}/{stem}',
                setting=setting_digest(set_spec(args, set_name), stride, setting_options,
                                       config_identity(osp.join(REPO_ROOT, config)), propagator),
                config=config, options=options, seed=seed,
                work_dir=osp.join(args.work_dir, 'retrain', args.retrain_model, stem),
                train=row_kind in args.train_rows,
                pseudo_method=kind[len('pseudo-'):] if propagator else None))
        plan[row] = (row_epochs, runs)
    return plan


def retrain(args, plan, recorded, stride):
    """Train the runs of :func:`retrain_plan` not yet recorded (of the rows to train now);
    the table's lines."""
    metrics = {}
    for row, (_, runs) in plan.items():
        metrics[row] = []
        for run_plan in runs:
            record = recorded.get((run_plan['key'], run_plan['setting']))
            if record is None and not run_plan['train']:
                print(f'{row}, seed {run_plan["seed"]}: not recorded, not trained now '
                      '(--train-rows)', flush=True)
                continue
            if record is None:
                result = train_and_test(run_plan['config'], run_plan['work_dir'],
                                        run_plan['options'], args.skip_done)
                result['curve'] = [point[TOTAL_AP]
                                   for point in read_val_curve(run_plan['work_dir'])]
                record = dict(key=run_plan['key'], setting=run_plan['setting'], row=row,
                              seed=run_plan['seed'], metrics=result)
                append_run(args.results, record)
                recorded[(run_plan['key'], run_plan['setting'])] = record
            metrics[row].append(record['metrics'])
            print(f'{row}, seed {run_plan["seed"]}: {record["metrics"]["Total AP"]:.1f} AP',
                  flush=True)
    lines = [f'Estimation on val ({args.retrain_model} estimator, {PROTOCOLS[stride]}), '
             f'PoseTrack AP, mean +- std over the recorded seeds of {args.seeds}:', '',
             '| training labels | epochs | Total | Total (occluded joints) | '
             'gain over the last quarter of epochs | train min | '
             'val Total AP per epoch (mean over seeds) |',
             '|---|---:|---:|---:|---:|---:|---|']
    for row, (row_epochs, _) in plan.items():
        runs = metrics[row]
        if not runs:
            lines.append(f'| {row} | {row_epochs} | not run | | | | |')
            continue

        def stat(key):
            return mean_std([r.get(key, np.nan) for r in runs])
        length = min(len(r['curve']) for r in runs)
        curve = ' '.join(f'{np.mean([r["curve"][i] for r in runs]):.1f}'
                         for i in range(length))
        lines.append(f'| {row} | {row_epochs} | {stat("Total AP")} | '
                     f'{stat("Total AP_occluded")} | '
                     f'{mean_std([late_gain(r["curve"]) for r in runs])} | '
                     f'{stat("train_minutes")} | {curve} |')
    return lines


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    recorded = {(r['key'], r['setting']): r for r in read_runs(args.results)}
    plan, needed, retrain_set = None, set(), args.sets[0]
    if not args.no_retrain:
        missing = [m for m in args.pseudo_methods if m not in args.methods]
        if args.retrain_protocol not in args.protocols or missing:
            raise SystemExit(f'--retrain-protocol {args.retrain_protocol} / --pseudo-methods '
                             f'{args.pseudo_methods} need that protocol and these --methods run')
        plan = retrain_plan(args, retrain_set, ensure_set(args, retrain_set),
                            args.retrain_protocol)
        # Pseudo-labels are made (and their propagator trained) only for runs still to do.
        needed = {run_plan['pseudo_method'] for _, runs in plan.values() for run_plan in runs
                  if run_plan['pseudo_method'] and run_plan['train'] and
                  (run_plan['key'], run_plan['setting']) not in recorded}
    lines = []
    for set_name in args.sets:
        data_root = ensure_set(args, set_name)
        for stride in args.protocols:
            retrains_here = (set_name, stride) == (retrain_set, args.retrain_protocol)
            results = propagate(args, set_name, data_root, stride, recorded,
                                needed if retrains_here else ())
            lines += propagation_table(set_name, stride, results)
    if plan is not None:
        lines += retrain(args, plan, recorded, args.retrain_protocol)
    table = '\n'.join(lines)
    print(table)
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(table + '\n')


if __name__ == '__main__':
    main()
