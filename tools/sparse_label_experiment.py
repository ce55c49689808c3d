"""The sparse-label experiment end to end: propagate 26.7% of the labels, retrain, compare.

On the 30-frame synthetic set with every 4th training frame labelled (8 / 30 = 26.7%, the
STDPose setting), through the standard tools:

1. train the pose propagation model (``configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py``)
   and test it (AP of poses propagated between val frames);
2. ``tools/propagate.py`` with (a) ``copy`` of the nearest labelled pose, (b) linear
   ``interpolate``-ion and (c) the ``model``; each is scored against the hidden labels of
   the unlabelled training frames (PoseTrack AP);
3. train and test the estimator on the labels alone, on labels + the model's pseudo-labels
   and on 100% labels (``configs/sparse/``).

Prints both tables (markdown) and writes them to ``WORK_DIR/table.md``.

Example:
    python tools/sparse_label_experiment.py --work-dir work_dirs/sparse
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

TOOLS_DIR = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, TOOLS_DIR)

from run_ablation import REPO_ROOT, overrides, run, test_metrics  # noqa: E402

PROPAGATION_CONFIG = 'configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py'
ESTIMATOR_CONFIGS = {
    '26.7% labels': 'configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_labels.py',
    '26.7% labels + pseudo-labels': 'configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_pseudo.py',
    '100% labels': 'configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_full.py',
}
METHODS = {'copy': '(a) copy nearest labelled pose',
           'interpolate': '(b) linear interpolation',
           'model': '(c) propagation model'}
COLUMNS = ['Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle', 'Total']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/sparse')
    parser.add_argument('--data-root', default='data/synthetic_sparse')
    parser.add_argument('--propagation-epochs', type=int, default=None,
                        help="propagation model epochs (default: the config's)")
    parser.add_argument('--estimator-epochs', type=int, default=None,
                        help="estimator epochs (default: the configs')")
    parser.add_argument('--skip-done', action='store_true', help='reuse finished steps')
    return parser.parse_args()


def train_and_test(config, work_dir, options, skip_done):
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    if not (skip_done and osp.isfile(metrics_file)):
        start = time.time()
        run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
             '--cfg-options', *options], f'{work_dir}.train.log')
        minutes = (time.time() - start) / 60
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        run([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
             osp.join(work_dir, 'test'), '--cfg-options', *options], f'{work_dir}.test.log')
        with open(metrics_file, 'w') as f:
            json.dump(dict(test_metrics(f'{work_dir}.test.log'), train_minutes=minutes), f)
    with open(metrics_file) as f:
        return json.load(f)


def main():
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    data_root = args.data_root.rstrip('/') + '/'
    if not osp.isfile(osp.join(REPO_ROOT, data_root, 'annotations/posetrack18_val.json')):
        print(f'generating the 30-frame synthetic set in {data_root}', flush=True)
        subprocess.run([sys.executable, 'tools/make_synthetic_posetrack.py', data_root,
                        '--train-videos', '32', '--val-videos', '4', '--frames', '30',
                        '--label-stride', '1', '--seed', '0', '--quiet'],
                       cwd=REPO_ROOT, check=True)

    # 1. the propagation model
    propagation_dir = osp.join(args.work_dir, 'propagation')
    propagation = train_and_test(PROPAGATION_CONFIG, propagation_dir,
                                 overrides(data_root, args.propagation_epochs), args.skip_done)
    print(f'propagation model, val pairs: {propagation["Total AP"]:.1f} AP', flush=True)
    with open(osp.join(propagation_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()

    # 2. pseudo-labels by each method, scored on the hidden training labels
    pseudo_ap = {}
    for method in METHODS:
        out = osp.join(args.work_dir, f'pseudo_{method}.json')
        ap_file = osp.join(args.work_dir, f'pseudo_{method}_ap.json')
        if not (args.skip_done and osp.isfile(ap_file)):
            run([sys.executable, 'tools/propagate.py', PROPAGATION_CONFIG,
                 checkpoint if method == 'model' else '-', '--method', method, '--out', out,
                 '--overwrite', '--data-root', data_root, '--eval', '--eval-out', ap_file],
                osp.join(args.work_dir, f'pseudo_{method}.log'))
        with open(ap_file) as f:
            pseudo_ap[method] = json.load(f)
        print(f'pseudo-labels ({method}): {pseudo_ap[method]["all"]["Total"]:.1f} AP',
              flush=True)

    # 3. the estimator on labels alone, + pseudo-labels, 100%
    estimation = {}
    for name, config in ESTIMATOR_CONFIGS.items():
        options = overrides(data_root, args.estimator_epochs)
        if 'pseudo' in config:
            options.append('train_dataloader.dataset.pseudo_label_file=' +
                           osp.join(args.work_dir, 'pseudo_model.json'))
        work_dir = osp.join(args.work_dir, osp.splitext(osp.basename(config))[0])
        estimation[name] = train_and_test(config, work_dir, options, args.skip_done)
        print(f'estimator, {name}: {estimation[name]["Total AP"]:.1f} AP', flush=True)

    lines = ['Propagation accuracy on the unlabelled training frames (their hidden labels), '
             'PoseTrack AP:', '',
             '| propagator | ' + ' | '.join(COLUMNS) + ' | Total (occluded joints) |',
             '|---|' + '---:|' * (len(COLUMNS) + 1)]
    for method, label in METHODS.items():
        result = pseudo_ap[method]
        occluded = result.get('occluded', {}).get('Total', float('nan'))
        lines.append(f'| {label} | ' + ' | '.join(f'{result["all"][c]:.1f}' for c in COLUMNS)
                     + f' | {occluded:.1f} |')
    lines += ['', f'Propagation model on val pairs (1-4 frames apart): '
              f'{propagation["Total AP"]:.1f} AP', '',
              'Estimation on val (single-frame estimator), PoseTrack AP:', '',
              '| training labels | Total | Total (occluded joints) | train min |',
              '|---|---:|---:|---:|']
    for name, metrics in estimation.items():
        lines.append(f'| {name} | {metrics["Total AP"]:.1f} | '
                     f'{metrics.get("Total AP_occluded", float("nan")):.1f} | '
                     f'{metrics["train_minutes"]:.1f} |')
    table = '\n'.join(lines)
    print(table)
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(table + '\n')


if __name__ == '__main__':
    main()
