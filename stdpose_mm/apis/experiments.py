"""Training runs as experiments: ``tools/train.py`` in a subprocess, metrics read back from
the json MMEngine writes (``vis_data/scalars.json``), never parsed from a log."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# The metric's keys for the PoseTrack AP overall and on occluded joints.
TOTAL_AP = 'posetrack/Total AP'
OCCLUDED_AP = 'posetrack/Total AP_occluded'


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
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no vis_data/scalars.json under {work_dir}')
    curve = []
    with open(files[-1]) as f:
        for line in f:
            record = json.loads(line)
            if TOTAL_AP in record:
                curve.append({'step': record.get('step'),
                              **{k: v for k, v in record.items() if k.startswith('posetrack/')}})
    return curve
