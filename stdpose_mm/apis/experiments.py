"""Training runs as experiments: ``tools/train.py`` / ``tools/test.py`` in a subprocess,
metrics read back from the json MMEngine writes (``vis_data/scalars.json`` while training,
``<timestamp>/<timestamp>.json`` for a test), never parsed from a log."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..utils.atomic_io import atomic_write_json

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# The metric's keys for the PoseTrack AP overall and on occluded joints.
TOTAL_AP = 'posetrack/Total AP'
OCCLUDED_AP = 'posetrack/Total AP_occluded'


def epoch_options(epochs: int, validate_at_end: bool = True) -> List[str]:
    """``--cfg-options`` for a run of ``epochs`` epochs, the cosine schedule
    (``param_scheduler[1]``, by epoch) stretched to the run.

    Args:
        epochs: the run's length.
        validate_at_end: validate once, after the last epoch; False keeps the config's
            ``val_interval`` (e.g. every epoch, for a val curve).
    """
    options = [f'train_cfg.max_epochs={epochs}', f'param_scheduler.1.T_max={epochs}']
    return options + ([f'train_cfg.val_interval={epochs}'] if validate_at_end else [])


def mean_std(values: Sequence[float], digits: int = 1) -> str:
    """``'mean +- std (n=N)'`` with the sample std (ddof 1), the spread every table of the
    project reports over seeds; one value prints as ``'x (n=1)'``, none as ``'n/a'``."""
    import numpy as np

    if len(values) == 0:
        return 'n/a'
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f'{values[0]:.{digits}f} (n=1)'
    return (f'{values.mean():.{digits}f} +- {values.std(ddof=1):.{digits}f} '
            f'(n={len(values)})')


def late_gain(totals: Sequence[float]) -> float:
    """Total AP gained over the last quarter of a run's validations: the last value minus
    the one three quarters in. A converged run gains no more than its seed spread here.

    Args:
        totals: the run's val Total AP, one per validation (epoch order).
    """
    import math

    return float(totals[-1] - totals[max(0, math.ceil(0.75 * len(totals)) - 1)])


def read_runs(path: str) -> List[Dict[str, Any]]:
    """The finished runs in a json-lines results file (one record per line), in order;
    none if the file does not exist.

    Results files are committed (``docs/results/``), so runs add up across machines: a tool
    reuses a recorded run of the same ``key`` and ``setting`` instead of training it again.
    """
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def append_run(path: str, record: Dict[str, Any]) -> None:
    """Append one finished run to a results file as one whole line (a kill loses one run)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')


def setting_digest(*parts: Any) -> str:
    """A short identity (sha256, 12 hex digits) of everything that decides a run's result:
    json-serialisable parts (options, generator arguments, a config file's text)."""
    import hashlib

    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def config_identity(config_file: str) -> str:
    """A config's effective settings, every ``_base_`` file merged in, as sorted json: part
    of a run's :func:`setting_digest`. An edit to any inherited file changes it (a digest
    of the leaf file's text alone would reuse runs of an edited base); comments and layout
    do not. The code the config builds is not covered."""
    from mmengine.config import Config

    settings = Config.fromfile(config_file, import_custom_modules=False).to_dict()
    return json.dumps(settings, sort_keys=True, default=str)


def data_root_options(data_root: str) -> List[str]:
    """``--cfg-options`` pointing every loader and evaluator of a config at ``data_root``
    (PoseTrack18 layout: ``annotations/posetrack18_{train,val}.json``)."""
    root = data_root.rstrip('/') + '/'
    val_ann = root + 'annotations/posetrack18_val.json'
    options = [f'{loader}.dataset.data_root={root}'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    return options + [f'val_evaluator.ann_file={val_ann}', f'test_evaluator.ann_file={val_ann}']


def run_logged(command: Sequence[str], log_file: str, env: Optional[Dict[str, str]] = None,
               timeout: Optional[float] = None) -> None:
    """Run ``command`` from the repository root with its output in ``log_file``.

    Raises:
        RuntimeError: If it exits non-zero; the message holds the log's tail.
    """
    os.makedirs(osp.dirname(osp.abspath(log_file)), exist_ok=True)
    with open(log_file, 'w') as log:
        result = subprocess.run(list(command), cwd=REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=env, timeout=timeout)
    if result.returncode != 0:
        with open(log_file) as log:
            tail = log.read()[-3000:]
        raise RuntimeError(f'{" ".join(command)} failed (log: {log_file}):\n{tail}')


def train(config: str, work_dir: str, cfg_options: Sequence[str] = (),
          env: Optional[Dict[str, str]] = None, timeout: Optional[float] = None) -> None:
    """``python tools/train.py CONFIG --work-dir WORK_DIR --cfg-options ...``, logged to
    ``WORK_DIR.train.log``."""
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), config,
               '--work-dir', work_dir]
    if cfg_options:
        command += ['--cfg-options', *cfg_options]
    run_logged(command, work_dir.rstrip('/') + '.train.log', env=env, timeout=timeout)


def test(config: str, checkpoint: str, work_dir: str, cfg_options: Sequence[str] = (),
         log_file: Optional[str] = None, env: Optional[Dict[str, str]] = None,
         timeout: Optional[float] = None) -> None:
    """``python tools/test.py CONFIG CHECKPOINT --work-dir WORK_DIR --cfg-options ...``,
    logged to ``log_file`` (default ``WORK_DIR.test.log``)."""
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), config, checkpoint,
               '--work-dir', work_dir]
    if cfg_options:
        command += ['--cfg-options', *cfg_options]
    run_logged(command, log_file or work_dir.rstrip('/') + '.test.log', env=env,
               timeout=timeout)


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """The PoseTrack metrics of the latest ``tools/test.py`` run in ``work_dir``.

    Args:
        work_dir (str): The test's work dir (MMEngine writes ``<timestamp>/<timestamp>.json``).

    Returns:
        dict: ``{'Total AP': ..., 'Total AP_occluded': ..., 'Head AP': ...}``: every
        ``posetrack/...`` metric, without the prefix.

    Raises:
        FileNotFoundError: If no test run in ``work_dir`` wrote its metrics.
    """
    files = sorted(path for path in glob.glob(osp.join(work_dir, '*', '*.json'))
                   if osp.basename(path) == osp.basename(osp.dirname(path)) + '.json')
    if not files:
        raise FileNotFoundError(f'no <timestamp>/<timestamp>.json test metrics under {work_dir}')
    with open(files[-1]) as f:
        record = json.load(f)  # MMEngine's LoggerHook dumps one dict after the test
    metrics = {key[len('posetrack/'):]: float(value) for key, value in record.items()
               if key.startswith('posetrack/')}
    if not metrics:
        raise FileNotFoundError(f'{files[-1]} holds no posetrack/ metrics')
    return metrics


def train_and_test(config: str, work_dir: str, cfg_options: Sequence[str] = (),
                   skip_done: bool = False) -> Dict[str, Any]:
    """Train ``config``, test its last checkpoint, keep the metrics in ``test_metrics.json``.

    Args:
        config (str): The config to train.
        work_dir (str): Its work dir; the test runs in ``WORK_DIR/test``, the logs are
            ``WORK_DIR.train.log`` / ``WORK_DIR.test.log``.
        cfg_options (Sequence[str]): ``--cfg-options`` of both runs.
        skip_done (bool): Reuse ``WORK_DIR/test_metrics.json`` when it exists.

    Returns:
        dict: :func:`read_test_metrics` plus ``train_minutes`` and ``checkpoint``.
    """
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    if not (skip_done and osp.isfile(metrics_file)):
        os.makedirs(osp.dirname(osp.abspath(work_dir)), exist_ok=True)
        start = time.time()
        train(config, work_dir, cfg_options)
        minutes = (time.time() - start) / 60
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        test_dir = osp.join(work_dir, 'test')
        test(config, checkpoint, test_dir, cfg_options,
             log_file=work_dir.rstrip('/') + '.test.log')
        atomic_write_json(dict(read_test_metrics(test_dir), train_minutes=minutes,
                               checkpoint=checkpoint), metrics_file, indent=1)
    with open(metrics_file) as f:
        return json.load(f)


def latest_scalars(work_dir: str) -> Optional[str]:
    """The ``vis_data/scalars.json`` of the latest run in a ``tools/train.py`` work dir."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    return files[-1] if files else None


def read_val_curve(work_dir: str) -> List[Dict[str, float]]:
    """Validation metrics per evaluation of the latest run in ``work_dir``.

    Args:
        work_dir (str): A ``tools/train.py`` work dir (``<timestamp>/vis_data/scalars.json``
            inside).

    Returns:
        list: One dict per validation, in order: ``step`` (the epoch, or the iteration for
        iteration-based loops) and every ``posetrack/...`` metric.

    Raises:
        FileNotFoundError: If the work dir holds no ``scalars.json``.
    """
    scalars = latest_scalars(work_dir)
    if scalars is None:
        raise FileNotFoundError(f'no vis_data/scalars.json under {work_dir}')
    curve = []
    with open(scalars) as f:
        for line in f:
            record = json.loads(line)
            if TOTAL_AP in record:
                curve.append({'step': record.get('step'),
                              **{k: v for k, v in record.items() if k.startswith('posetrack/')}})
    return curve


def read_train_fit(work_dir: str, keys: Tuple[str, ...] = ('loss_kpt', 'acc_pose')
                   ) -> Dict[str, float]:
    """How well the latest run in ``work_dir`` fits its training data at the end.

    Args:
        work_dir (str): A ``tools/train.py`` work dir, as for :func:`read_val_curve`.
        keys (tuple[str]): Training log scalars to average.

    Returns:
        dict: Each of ``keys`` averaged over the logged iterations of the last training
        epoch (a key the run did not log is left out); empty if nothing was logged.
    """
    scalars = latest_scalars(work_dir)
    if scalars is None:
        return {}
    with open(scalars) as f:
        records = [json.loads(line) for line in f if line.strip()]
    records = [r for r in records if 'epoch' in r and 'iter' in r]
    if not records:
        return {}
    last_epoch = max(r['epoch'] for r in records)
    last = [r for r in records if r['epoch'] == last_epoch]
    return {key: sum(r[key] for r in last) / len(last) for key in keys
            if all(key in r for r in last)}
