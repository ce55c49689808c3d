"""Running tools/train.py and tools/test.py on a tiny synthetic set."""
import os
import subprocess
import sys
from pathlib import Path
from typing import List

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_overrides(data_root: Path, batch_size: int = 8) -> List[str]:
    """``--cfg-options`` pointing a synthetic-set config at ``data_root``, 1 small epoch."""
    root = f'{data_root}/'
    val_ann = f'{root}annotations/posetrack18_val.json'
    options = [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        f'train_dataloader.batch_size={batch_size}', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.batch_size={batch_size}', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'val_evaluator.ann_file={val_ann}', f'test_evaluator.ann_file={val_ann}',
        'default_hooks.logger.interval=1', 'param_scheduler.0.end=2',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.append(f'{loader}.dataset.data_root={root}')
    return options


def run_tool(tool: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED='0', OMP_NUM_THREADS='2')
    return subprocess.run([sys.executable, str(REPO_ROOT / 'tools' / tool), *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
