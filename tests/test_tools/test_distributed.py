"""Data-parallel training and testing on CPU: 2 processes, gloo, ``torch.distributed.run``.

Checks that (a) both ranks end training with identical weights *and* buffers (BatchNorm
statistics: each rank normalises its own batches, ``SyncBuffersHook`` averages them at
the end of every epoch), equal to the saved checkpoint, and (b) a 2-process
``tools/test.py`` evaluates every validation instance exactly once: ``DefaultSampler``
with ``round_up=False`` (the configs' setting, checked) splits an odd-sized set 8/7
without padding, MMEngine's ``collect_results`` gathers the parts on rank 0, and the
metric's prediction files hold one prediction per instance (NMS off so that it could not
hide duplicates). With ``round_up=True`` the files come out the same: the padded
duplicate is cut again by ``collect_results`` (it keeps ``len(dataset)`` results) and by
``CocoMetric``'s de-duplication by instance id, so the sampler setting is checked in the
config rather than through the output.

MMEngine 0.10.7 cannot run DDP on a machine without a GPU out of the box:

* ``init_dist('pytorch')`` calls ``torch.cuda.set_device(LOCAL_RANK)`` before
  ``init_process_group`` ("Found no NVIDIA driver"); ``tools/train.py`` / ``tools/test.py``
  (``stdpose_mm.utils.mmpose_tools.init_cpu_distributed``) create the gloo group first, and
  the Runner skips ``init_dist`` when a process group exists;
* ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``,
  which refuses device ids for a CPU module: the configs set ``model_wrapper_cfg`` with
  ``device_ids=None`` (also valid on GPU: DDP then uses the module's device).

The test uses the product's configs and tools unchanged (plus a digest hook).
"""
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import List

from mmengine import Config

from stdpose_mm.engine.hooks import state_dict_digest
from stdpose_mm.utils import safe_load_checkpoint

from .e2e_utils import REPO_ROOT, data_overrides

CONFIG = REPO_ROOT / 'configs' / 'cpu' / 'stdpose_tiny-hrnet_synthetic.py'
NUM_VAL_INSTANCES = 15  # of the 16 in the tiny val set: odd, so the ranks get 8 and 7

DDP_CONFIG = '''
_base_ = [{base!r}]
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='SafeCheckpointHook'),
                dict(type='WeightsDigestHook')]
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_distributed(tool: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``python -m torch.distributed.run --nproc_per_node=2 tools/<tool> ARGS``."""
    env = dict(os.environ, PYTHONHASHSEED='0', OMP_NUM_THREADS='1',
               PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
               f'--master_port={free_port()}', str(REPO_ROOT / 'tools' / tool), *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


def common_options(data_root: Path) -> List[str]:
    return data_overrides(data_root, batch_size=2) + ['env_cfg.dist_cfg.backend=gloo']


def test_val_sampler_does_not_pad():
    cfg = Config.fromfile(str(CONFIG))
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.sampler.type == 'DefaultSampler'
        assert loader.sampler.round_up is False and loader.sampler.shuffle is False
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'


def test_ddp_train_then_test_on_cpu(tiny_posetrack, tmp_path):
    from mmpose.registry import DATASETS

    config = tmp_path / 'stdpose_ddp_cpu.py'
    config.write_text(DDP_CONFIG.format(base=str(CONFIG)))

    # (a) 1 epoch, 8 samples, 2 per process: 2 iterations on each rank, no validation.
    work_dir = tmp_path / 'train'
    train = run_distributed(
        'train.py', str(config), '--work-dir', str(work_dir), '--launcher',
        'pytorch', '--cfg-options', *common_options(tiny_posetrack),
        'train_dataloader.dataset.indices=8', 'train_cfg.val_begin=1000')
    output = train.stdout + train.stderr
    assert train.returncode == 0, output[-4000:]
    assert 'Epoch(train) [1][2/2]' in output  # 8 samples / (2 ranks x 2) per iteration
    digests = [(work_dir / f'weights_digest_rank{rank}.txt').read_text().splitlines()
               for rank in (0, 1)]
    differing = [a.split()[0] for a, b in zip(digests[0][1:], digests[1][1:]) if a != b]
    assert digests[0] == digests[1], f'ranks differ in {differing}'
    checkpoint = work_dir / 'epoch_1.pth'
    saved = state_dict_digest(safe_load_checkpoint(str(checkpoint))['state_dict'])
    assert saved['__all__'] == digests[0][0]

    # (b) 2-process test on an odd number of val instances, predictions written to files.
    out_prefix = tmp_path / 'preds' / 'posetrack'
    test = run_distributed(
        'test.py', str(config), str(checkpoint), '--work-dir',
        str(tmp_path / 'test'), '--launcher', 'pytorch', '--cfg-options',
        *common_options(tiny_posetrack), 'test_dataloader.batch_size=3',
        f'test_dataloader.dataset.indices={NUM_VAL_INSTANCES}',
        f'test_evaluator.outfile_prefix={out_prefix}', 'test_evaluator.nms_mode=none')
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-4000:]
    assert output.count('posetrack/Total AP:') == 1  # evaluated once, on rank 0

    dataset_cfg = Config.fromfile(str(CONFIG)).test_dataloader.dataset
    dataset_cfg.update(data_root=f'{tiny_posetrack}/', indices=NUM_VAL_INSTANCES)
    dataset = DATASETS.build(dataset_cfg)
    expected = Counter(int(dataset.get_data_info(i)['img_id']) for i in range(len(dataset)))
    assert sum(expected.values()) == NUM_VAL_INSTANCES
    predicted = Counter()
    for pred_file in out_prefix.parent.glob('*.json'):
        predicted.update(ann['image_id'] for ann in json.loads(pred_file.read_text())[
            'annotations'])
    assert predicted == expected
