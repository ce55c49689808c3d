"""Train and test several configs with the same budget; print one PoseTrack mAP table.

Each config goes through the standard tools (tools/train.py, tools/test.py) with the same
``--cfg-options`` (data root, epochs), so the rows differ only by their model.

Example:
    python tools/run_ablation.py configs/cpu/td-hm_tiny-hrnet_synthetic.py \
        configs/cpu/stdpose_tiny-hrnet_synthetic.py --work-dir work_dirs/ablation \
        --data-root data/synthetic_posetrack --epochs 4 --out table.md
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.apis.experiments import (  # noqa: E402
    data_root_options,
    epoch_options,
    train_and_test,
)

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
    """The ``--cfg-options`` every config of the table runs with."""
    return (data_root_options(data_root) if data_root else []) + \
        (epoch_options(epochs) if epochs else [])


def main():
    args = parse_args()
    options = overrides(args.data_root, args.epochs)
    os.makedirs(args.work_dir, exist_ok=True)
    rows = []
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(args.work_dir, name)
        rows.append((name, train_and_test(config, work_dir, options, args.skip_done)))
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
