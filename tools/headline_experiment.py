"""Evidence for the headline model: every model, several seeds, two synthetic sets, one table.

The CPU research setting (``configs/_base_/cpu_research.py``: 64x96 input, 6 epochs, val
every epoch) on two sets this tool generates when missing:

- ``a``: the demo's kind of video (seed 0, occluders in 70% of the videos, normal speed);
- ``b``: a harder, differently generated set (seed 1, occluders in every video, motion
  twice as fast, so more blur and larger displacements between frames).

Models: the single-frame model, its control with 5x the batch (as many labelled frames per
step as a 5-frame window), STDPose alone, Feng & Chen alone and the headline (combined)
model, each with ``--seeds``; and (``--ablations``) the headline model with one switch off,
on set ``a`` with ``--ablation-seeds``. Each run is ``tools/train.py`` with the config's
schedule; its score is the *last* epoch's validation (no epoch is picked by looking at
val), read from the json MMEngine writes. Results are appended to ``--results`` (one json
line per run, so an interrupted experiment resumes where it stopped) and the tables, with
mean +- std over seeds and the per-epoch val curves, are written to ``--out``.

Example:
    python tools/headline_experiment.py --jobs 2            # everything (hours on 2 cores)
    python tools/headline_experiment.py --sets a --models single stdpose --seeds 0
    python tools/headline_experiment.py --schedule-scale 3 --models stdpose headline \\
        --ablations --seeds 0      # is a gap still there when the schedule is 3x longer?
"""
import argparse
import functools
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.apis.experiments import (  # noqa: E402
    OCCLUDED_AP,
    REPO_ROOT,
    TOTAL_AP,
    append_run,
    config_identity,
    data_root_options,
    epoch_options,
    late_gain,
    mean_std,
    read_runs,
    read_train_fit,
    read_val_curve,
    setting_digest,
    train,
)

MODELS = {
    'single': 'configs/research/td-hm_tiny-hrnet_research.py',
    'single-batch80': 'configs/research/td-hm_tiny-hrnet_research_batch80.py',
    'stdpose': 'configs/research/stdpose_tiny-hrnet_research.py',
    'feng-chen': 'configs/research/feng-chen-only_tiny-hrnet_research.py',
    'headline': 'configs/research/stdpose-combined_tiny-hrnet_research.py',
    'vit-single': 'configs/research/td-hm_tiny-vit_research.py',
    'vit-headline': 'configs/research/stdpose-combined_tiny-vit_research.py',
}
ABLATIONS = {
    'no-dam': ['model.neck.dam.use_dam=False'],
    'no-cubes': ['model.neck.motion.mask_cubes=False'],
    'no-frames': ['model.neck.motion.mask_frames=False'],
    'no-ctx-recon': ['model.neck.motion.context_reconstruction=False'],
    'no-pose-recon': ['model.neck.motion.pose_reconstruction=False'],
    'fusion-sum': ['model.head.fusion=sum'],
}
SETS = {
    'a': dict(root='data/research_a', seed=0, occluder_prob=0.7, motion_speed=1.0),
    'b': dict(root='data/research_b', seed=1, occluder_prob=1.0, motion_speed=2.0),
}
# Both sets: many short, small videos (decoding stays cheap next to the model).
SET_SIZE = dict(num_videos={'train': 40, 'val': 8}, num_frames=24, image_size=(192, 144),
                label_stride=1)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sets', nargs='+', default=sorted(SETS), choices=sorted(SETS))
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--ablations', nargs='*', default=list(ABLATIONS),
                        choices=list(ABLATIONS), help='headline switches to turn off (set a)')
    parser.add_argument('--ablation-seeds', nargs='+', type=int, default=[0, 1])
    parser.add_argument('--schedule-scale', type=int, default=1,
                        help='train every model K times as many epochs (cosine schedule '
                        'stretched with it): a separate setting, with its own files')
    parser.add_argument('--work-dir', help='default: work_dirs/headline[_xK]')
    parser.add_argument('--results', help='one json line per finished run (resumable); '
                        'default: docs/results/headline_runs[_xK].jsonl')
    parser.add_argument('--out', help='default: docs/headline_evidence[_xK].md')
    parser.add_argument('--base-results', help='with --schedule-scale: the base setting\'s '
                        'runs, compared seed by seed (default: docs/results/headline_runs.jsonl)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once; each gets cores/jobs torch threads')
    parser.add_argument('--report-only', action='store_true',
                        help='write the tables from --results without training')
    args = parser.parse_args(argv)
    suffix = f'_x{args.schedule_scale}' if args.schedule_scale != 1 else ''
    args.work_dir = args.work_dir or f'work_dirs/headline{suffix}'
    args.results = args.results or f'docs/results/headline_runs{suffix}.jsonl'
    args.out = args.out or f'docs/headline_evidence{suffix}.md'
    args.base_results = args.base_results or 'docs/results/headline_runs.jsonl'
    return args


def ensure_set(name: str) -> str:
    """The set's root, generated if it is missing."""
    from stdpose_mm.datasets.synthetic import generate_posetrack

    spec = SETS[name]
    if not osp.isfile(osp.join(spec['root'], 'annotations', 'posetrack18_val.json')):
        print(f'[headline] generating set {name} in {spec["root"]}', flush=True)
        generate_posetrack(spec['root'], seed=spec['seed'], occluder_prob=spec['occluder_prob'],
                           motion_speed=spec['motion_speed'], **SET_SIZE)
    return spec['root']


def planned_runs(args: argparse.Namespace) -> List[Dict]:
    # Seed-major order: a stopped experiment has every model at the first seeds.
    runs = [dict(set=s, model=m, variant='', seed=seed)
            for seed in args.seeds for s in args.sets for m in args.models]
    if 'a' in args.sets:
        runs += [dict(set='a', model='headline', variant=v, seed=seed)
                 for v in args.ablations for seed in args.ablation_seeds]
    return runs


def research_setting(schedule_scale: int = 1) -> str:
    """The research base's identity: a run counts only for the setting it was trained in."""
    import hashlib

    with open(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_',
                       'cpu_research.py'), 'rb') as f:
        identity = hashlib.sha256(f.read()).hexdigest()[:12]
    return identity if schedule_scale == 1 else f'{identity}-x{schedule_scale}'


def schedule_options(config: str, schedule_scale: int) -> List[str]:
    """``--cfg-options`` that stretch a research config's schedule ``schedule_scale`` times."""
    if schedule_scale == 1:
        return []
    from mmengine.config import Config

    epochs = Config.fromfile(config).train_cfg.max_epochs * schedule_scale
    # The cosine phase spans the whole run, as at scale 1; the val interval stays.
    return epoch_options(epochs, validate_at_end=False)


@functools.lru_cache(maxsize=None)
def config_setting(model: str, variant: str = '') -> str:
    """Digest of a run's model: its config's effective settings (every ``_base_`` file
    merged, :func:`config_identity`) and its ablation switches. :func:`research_setting`
    names the shared research base and schedule; this catches an edit to one model."""
    return setting_digest(config_identity(osp.join(REPO_ROOT, MODELS[model])),
                          ABLATIONS.get(variant, []))


def run_key(run: Dict) -> str:
    return f'{run["set"]}/{run["model"]}{"_" + run["variant"] if run["variant"] else ""}' \
           f'/seed{run["seed"]}'


def execute(run: Dict, args: argparse.Namespace, threads: int) -> Dict:
    """Train one run and return its record (last-epoch metrics and the val curve)."""
    work_dir = osp.join(args.work_dir, run_key(run))
    options = data_root_options(SETS[run['set']]['root']) + [f'randomness.seed={run["seed"]}']
    options += ABLATIONS.get(run['variant'], [])
    options += schedule_options(MODELS[run['model']], args.schedule_scale)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY='PASSIVE')
    trained_config = config_setting(run['model'], run['variant'])  # as it is trained
    start = time.time()
    train(MODELS[run['model']], work_dir, options, env=env)
    curve = read_val_curve(work_dir)
    last = curve[-1]
    return dict(run, key=run_key(run), setting=research_setting(args.schedule_scale),
                config_setting=trained_config,
                total_ap=last[TOTAL_AP],
                occluded_ap=last.get(OCCLUDED_AP), train_fit=read_train_fit(work_dir),
                minutes=(time.time() - start) / 60,
                threads=threads, curve=[(c['step'], c[TOTAL_AP], c.get(OCCLUDED_AP))
                                        for c in curve])


def load_results(path: str, schedule_scale: int = 1) -> Dict[str, Dict]:
    """Finished runs of the current research setting (others are kept in the file, unused).

    A run recorded with its model's :func:`config_setting` counts only while that config is
    unchanged (an edited model is trained again); runs recorded before 2026-12-03 carry none
    and are checked against the research base only.
    """
    setting = research_setting(schedule_scale)
    return {r['key']: r for r in read_runs(path) if r.get('setting') == setting and (
        'config_setting' not in r or
        r['config_setting'] == config_setting(r['model'], r.get('variant', '')))}


# The goal of the headline model (issue 13): it beats these, overall and on occluded joints.
GOAL_COMPARISONS = (('headline', 'stdpose'), ('headline', 'feng-chen'),
                    ('headline', 'single-batch80'), ('headline', 'single'),
                    ('stdpose', 'single-batch80'), ('feng-chen', 'single-batch80'))


def compare(first: List[float], second: List[float], paired: List[float],
            names: tuple = ('first', 'second')) -> str:
    """Verdict of ``first`` against ``second`` by the project's rule of evidence.

    Args:
        first: one score per seed of the first model.
        second: one score per seed of the second model.
        paired: ``first - second`` at each seed both have.
        names: the two models' names, for the verdict.

    Returns:
        The paired difference (mean +- std) and a verdict: a model is better only when the
        difference of means exceeds the larger seed spread (sample std) of the two; with
        fewer than 3 seeds on either side there is no spread to compare with.
    """
    import numpy as np

    difference = mean_std(paired) if paired else 'n/a'
    if min(len(first), len(second)) < 3:
        return f'{difference} | too few seeds'
    gap = float(np.mean(first) - np.mean(second))
    spread = max(float(np.std(first, ddof=1)), float(np.std(second, ddof=1)))
    verdict = (f'{names[0]} better' if gap > spread else f'{names[1]} better'
               if gap < -spread else 'no difference')
    return f'{difference} | {verdict} ({gap:+.1f} vs spread {spread:.1f})'


def report(results: Dict[str, Dict], results_file: str, work_dir: Optional[str] = None,
           schedule_scale: int = 1) -> str:
    """Markdown: per set the main table, the ablation table and the mean val curves.

    Args:
        results: finished runs by key, as :func:`load_results` reads them.
        results_file: where they were read from (named in the page).
        work_dir: the runs' work dirs, read for the train fit of a run recorded without
            it; the table adds how well each model fits its training data at the end (last
            epoch's key-frame loss and accuracy).
        schedule_scale: the runs' ``--schedule-scale`` (named in the page).
    """
    import numpy as np

    # Recorded with the run; runs recorded before that are read from their work dirs.
    fits = {key: record.get('train_fit') or (read_train_fit(osp.join(work_dir, key))
                                             if work_dir else {})
            for key, record in results.items()}
    lines = ['# Headline model: evidence on the CPU research setting', '',
             'Written by `python tools/headline_experiment.py` from '
             f'`{results_file}`; scores are PoseTrack AP of the **last** '
             'epoch on the set\'s val split (no epoch picked by hand), mean +- sample std '
             'over seeds. Setting: `configs/_base_/cpu_research.py`'
             + (f' with every schedule {schedule_scale}x as long (`--schedule-scale '
                f'{schedule_scale}`).' if schedule_scale != 1 else '.')
             + ' Read the val curves before the means: a model whose curve still rises at '
             'the last epoch has not converged, and the train-fit columns say how far each '
             'model is from fitting its training data.', '']
    # Main models need 3 seeds for a spread; the ablations are planned at 2 (issue 13).
    fewest = min((sum(1 for r in results.values() if (r['set'], r['model'], r['variant'])
                      == (x['set'], x['model'], x['variant'])) for x in results.values()
                  if not x['variant']), default=0)
    if fewest < 3:
        lines += [f'**Incomplete: {len(results)} runs so far; a row with fewer than 3 seeds '
                  'has no seed spread and is not evidence that one model beats another.** '
                  'Rerun the tool to continue (finished runs are skipped).', '']
    for set_name in sorted({r['set'] for r in results.values()}):
        spec = SETS[set_name]
        lines += [f'## Set {set_name}: seed {spec["seed"]}, occluders '
                  f'{spec["occluder_prob"]:.0%} of videos, motion x{spec["motion_speed"]:g}', '',
                  '| model | Total AP | Total AP, occluded joints | Total AP gained in the '
                  'last quarter of epochs | minutes/run | '
                  'ablation - headline, same seeds (Total / occluded) | '
                  'train loss_kpt x1e3, last epoch | train acc_pose, last epoch |',
                  '|---|---:|---:|---:|---:|---|---:|---:|']
        groups: Dict[str, List[Dict]] = {}
        for record in results.values():
            if record['set'] == set_name:
                name = record['model'] + (f' ({record["variant"]})' if record['variant']
                                          else '')
                groups.setdefault(name, []).append(record)
        order = [m for m in MODELS] + [f'headline ({v})' for v in ABLATIONS]
        headline_by_seed = {r['seed']: r for r in groups.get('headline', [])}
        for name in sorted(groups, key=lambda n: order.index(n) if n in order else 99):
            records = groups[name]
            # An ablation differs from the headline model in one switch: compare seed by seed.
            pairs = [(r, headline_by_seed[r['seed']]) for r in records
                     if r['variant'] and r['seed'] in headline_by_seed]
            paired = ' / '.join(mean_std([a[key] - h[key] for a, h in pairs])
                                for key in ('total_ap', 'occluded_ap')) if pairs else ''
            losses = [fits[r['key']]['loss_kpt'] * 1e3 for r in records
                      if 'loss_kpt' in fits[r['key']]]
            accuracies = [fits[r['key']]['acc_pose'] * 100 for r in records
                          if 'acc_pose' in fits[r['key']]]
            gains = [late_gain([point[1] for point in r['curve']]) for r in records]
            lines.append(f'| {name} | {mean_std([r["total_ap"] for r in records])} | '
                         f'{mean_std([r["occluded_ap"] for r in records])} | '
                         f'{mean_std(gains)} | '
                         f'{sum(r["minutes"] for r in records) / len(records):.1f} | '
                         f'{paired} | {mean_std(losses, 2)} | {mean_std(accuracies)} |')
        for label, models in (('runs', None), ('5-frame runs', ('stdpose', 'feng-chen',
                                                                 'headline'))):
            fitted = [(fits[r['key']]['loss_kpt'], r['total_ap']) for rs in groups.values()
                      for r in rs if 'loss_kpt' in fits[r['key']]
                      and (models is None or r['model'] in models)]
            if len(fitted) < 3:
                continue
            # Underfitting or overfitting: does val AP follow how well training data is fit?
            correlation = np.corrcoef(np.asarray(fitted).T)[0, 1]
            lines += ['',
                      f'Across the {len(fitted)} {label} of set {set_name}, Pearson r between '
                      f'the last epoch\'s train loss_kpt and val Total AP: {correlation:.2f}.']
        lines += ['', f'Val curves (Total AP per epoch, mean over seeds), set {set_name}:', '',
                  '| model | ' + ' | '.join(f'ep {i + 1}' for i in range(max(
                      len(r['curve']) for rs in groups.values() for r in rs))) + ' |',
                  '|---|' + '---:|' * max(len(r['curve']) for rs in groups.values()
                                          for r in rs)]
        for name in sorted(groups, key=lambda n: order.index(n) if n in order else 99):
            curves = [[point[1] for point in r['curve']] for r in groups[name]]
            length = min(len(c) for c in curves)
            means = [sum(c[i] for c in curves) / len(curves) for i in range(length)]
            lines.append(f'| {name} | ' + ' | '.join(f'{m:.1f}' for m in means) + ' |')
        lines += ['', f'Goal check, set {set_name} (paired: the same seed, the same set):', '',
                  '| first vs second | Total: paired difference | Total: verdict | '
                  'occluded: paired difference | occluded: verdict |',
                  '|---|---|---|---|---|']
        for first, second in GOAL_COMPARISONS:
            if first not in groups or second not in groups:
                continue
            by_seed = {r['seed']: r for r in groups[second]}
            cells = []
            for key in ('total_ap', 'occluded_ap'):
                cells.append(compare([r[key] for r in groups[first]],
                                     [r[key] for r in groups[second]],
                                     [r[key] - by_seed[r['seed']][key] for r in groups[first]
                                      if r['seed'] in by_seed], (first, second)))
            lines.append(f'| {first} vs {second} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    return '\n'.join(lines) + '\n'


def schedule_report(base: Dict[str, Dict], longer: Dict[str, Dict], scale: int) -> str:
    """Markdown: each model at the base schedule and ``scale`` times longer, same seeds.

    A model that gains beyond its seed spread from a longer schedule had not converged; a gap
    between two models that keeps its sign at both lengths is not an artefact of stopping
    early.

    Args:
        base: finished runs of the base setting, by key (:func:`load_results`).
        longer: finished runs of the ``--schedule-scale`` setting, by key.
        scale: the longer setting's ``--schedule-scale``.
    """
    def groups(results: Dict[str, Dict]) -> Dict[tuple, Dict[int, Dict]]:
        grouped: Dict[tuple, Dict[int, Dict]] = {}
        for record in results.values():
            name = record['model'] + (f' ({record["variant"]})' if record['variant'] else '')
            grouped.setdefault((record['set'], name), {})[record['seed']] = record
        return grouped

    short, long_ = groups(base), groups(longer)
    both = sorted(name for name in long_ if name in short)
    lines = [f'## Schedule length: x1 against x{scale}, the same seeds', '',
             f'Last-epoch AP of each model trained with the base schedule and with every '
             f'schedule {scale}x as long; only seeds run at both lengths count.', '',
             f'| set | model | seeds | Total x1 | Total x{scale} | Total gain | '
             f'occluded x1 | occluded x{scale} | occluded gain |',
             '|---|---|---|---:|---:|---:|---:|---:|---:|']
    for set_name, name in both:
        seeds = sorted(set(short[set_name, name]) & set(long_[set_name, name]))
        if not seeds:
            continue
        cells = []
        for key in ('total_ap', 'occluded_ap'):
            before = [short[set_name, name][s][key] for s in seeds]
            after = [long_[set_name, name][s][key] for s in seeds]
            cells += [mean_std(before), mean_std(after),
                      mean_std([a - b for a, b in zip(after, before)])]
        lines.append(f'| {set_name} | {name} | {", ".join(map(str, seeds))} | '
                     + ' | '.join(cells) + ' |')
    lines += ['', 'Paired differences between models (first - second, the same seeds) at '
              'both lengths:', '',
              f'| set | models | seeds | Total x1 | Total x{scale} | occluded x1 | '
              f'occluded x{scale} |', '|---|---|---|---:|---:|---:|---:|']
    for first, second in GOAL_COMPARISONS:
        for set_name in sorted({s for s, _ in both}):
            runs = [short.get((set_name, m), {}) for m in (first, second)] + \
                   [long_.get((set_name, m), {}) for m in (first, second)]
            seeds = sorted(set.intersection(*(set(r) for r in runs)))
            if not seeds:
                continue
            cells = [mean_std([runs[i][s][key] - runs[i + 1][s][key] for s in seeds])
                     for key in ('total_ap', 'occluded_ap') for i in (0, 2)]
            lines.append(f'| {set_name} | {first} - {second} | '
                         f'{", ".join(map(str, seeds))} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot_curves(results: Dict[str, Dict], path: str) -> None:
    """Val Total AP per epoch, mean over seeds, one panel per set (main models only)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    sets = sorted({r['set'] for r in results.values()})
    if not sets:
        return
    figure, axes = plt.subplots(1, len(sets), figsize=(6 * len(sets), 4), squeeze=False)
    for axis, set_name in zip(axes[0], sets):
        for model in MODELS:
            curves = [[p[1] for p in r['curve']] for r in results.values()
                      if r['set'] == set_name and r['model'] == model and not r['variant']]
            if not curves:
                continue
            length = min(len(c) for c in curves)
            axis.plot(list(range(1, length + 1)), [sum(c[i] for c in curves) / len(curves)
                                     for i in range(length)], marker='o', label=model)
        axis.set_title(f'set {set_name}')
        axis.set_xlabel('validation (epoch; batch80: every 5 of its epochs)')
        axis.set_ylabel('val Total AP (mean over seeds)')
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: Optional[List[str]] = None) -> int:
    from stdpose_mm.utils.atomic_io import atomic_write_bytes

    args = parse_args(argv)
    results = load_results(args.results, args.schedule_scale)
    failed: List[str] = []
    if not args.report_only:
        for set_name in args.sets:
            ensure_set(set_name)
        todo = [r for r in planned_runs(args) if run_key(r) not in results]
        cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 2
        threads = max(1, cores // max(1, args.jobs))
        print(f'[headline] {len(todo)} runs to do, {args.jobs} at a time, {threads} torch '
              f'thread(s) each', flush=True)
        os.makedirs(osp.dirname(osp.abspath(args.results)), exist_ok=True)

        def work(run: Dict) -> Optional[Dict]:
            try:
                record = execute(run, args, threads)
            except (RuntimeError, FileNotFoundError, IndexError) as error:
                # One failed run is reported, the others go on (rerun to retry it).
                print(f'[headline] {run_key(run)} FAILED: {str(error)[-1500:]}', flush=True)
                return None
            append_run(args.results, record)
            print(f'[headline] {record["key"]}: AP {record["total_ap"]:.1f}, occluded '
                  f'{record["occluded_ap"]:.1f}, {record["minutes"]:.1f} min', flush=True)
            return record

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            failed = [run_key(run) for run, record in zip(todo, pool.map(work, todo))
                      if record is None]
        if failed:
            print(f'[headline] {len(failed)} run(s) failed: {", ".join(failed)}')
    final = load_results(args.results, args.schedule_scale)
    plot = osp.splitext(args.out)[0] + '_curves.png'
    plot_curves(final, plot)
    page = (report(final, args.results, args.work_dir, args.schedule_scale)
            + f'\n![val curves]({osp.basename(plot)})\n')
    if args.schedule_scale != 1:
        page += '\n' + schedule_report(load_results(args.base_results), final,
                                        args.schedule_scale)
    atomic_write_bytes(page.encode(), args.out)
    print(f'[headline] wrote {args.out} and {plot}')
    return 1 if not args.report_only and failed else 0


if __name__ == '__main__':
    sys.exit(main())
