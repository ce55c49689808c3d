"""Train and test several configs with the same budget; print one PoseTrack mAP table.

Each config goes through the standard tools (tools/train.py, tools/test.py) with the same
``--cfg-options`` (data root, epochs), so the rows differ only by their model.

Example:
    python tools/run_ablation.py configs/cpu/td-hm_tiny-hrnet_synthetic.py \
        configs/cpu/stdpose_tiny-hrnet_synthetic.py --work-dir work_dirs/ablation \
        --data-root data/synthetic_posetrack --epochs 4 --out table.md
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
COLUMNS = ['Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--data-root', default=None,
                        help='PoseTrack-layout root replacing the configs\' data_root')
    parser.add_argument('--epochs', type=int, default=None)
    parser.add_argument('--out', default=None, help='write the markdown table here too')
    parser.add_argument('--skip-done', action='store_true',
                        help='reuse the metrics of configs already tested in --work-dir')
    return parser.parse_args()


def overrides(data_root, epochs):
    options = []
    if data_root:
        root = data_root.rstrip('/') + '/'
        val_ann = root + 'annotations/posetrack18_val.json'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            options.append(f'{loader}.dataset.data_root={root}')
        options += [f'val_evaluator.ann_file={val_ann}', f'test_evaluator.ann_file={val_ann}']
    if epochs:
        options += [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
                    f'param_scheduler.1.T_max={epochs}']
    return options


def run(cmd, log_file):
    with open(log_file, 'w') as log:
        result = subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        with open(log_file) as log:
            tail = log.read()[-3000:]
        raise RuntimeError(f'{" ".join(cmd)} failed (log: {log_file}):\n{tail}')


def test_metrics(log_file):
    with open(log_file) as log:
        text = log.read()
    line = [row for row in text.splitlines() if 'Epoch(test)' in row][-1]
    return {key: float(value)
            for key, value in re.findall(r'posetrack/([A-Za-z _]+?): ([0-9.nan]+)', line)}


def main():
    args = parse_args()
    options = overrides(args.data_root, args.epochs)
    os.makedirs(args.work_dir, exist_ok=True)
    rows = []
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(args.work_dir, name)
        metrics_file = osp.join(work_dir, 'test_metrics.json')
        if not (args.skip_done and osp.isfile(metrics_file)):
            start = time.time()
            run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
                 '--cfg-options', *options], osp.join(args.work_dir, f'{name}.train.log'))
            train_s = time.time() - start
            with open(osp.join(work_dir, 'last_checkpoint')) as f:
                checkpoint = f.read().strip()
            test_log = osp.join(args.work_dir, f'{name}.test.log')
            run([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
                 osp.join(work_dir, 'test'), '--cfg-options', *options], test_log)
            metrics = dict(test_metrics(test_log), train_minutes=train_s / 60)
            with open(metrics_file, 'w') as f:
                json.dump(metrics, f, indent=1)
        with open(metrics_file) as f:
            rows.append((name, json.load(f)))
        print(f'done: {name}', flush=True)

    header = ('| model | ' + ' | '.join(COLUMNS) + ' | Total (occluded joints) | train min |\n'
              '|---|' + '---:|' * (len(COLUMNS) + 2))
    lines = [header]
    for name, metrics in rows:
        cells = [f'{metrics.get(f"{col} AP", float("nan")):.1f}' for col in COLUMNS]
        lines.append(f'| {name} | ' + ' | '.join(cells) +
                     f' | {metrics.get("Total AP_occluded", float("nan")):.1f} '
                     f'| {metrics["train_minutes"]:.1f} |')
    table = '\n'.join(lines)
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')


if __name__ == '__main__':
    main()
