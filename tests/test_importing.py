"""What ``import stdpose_mm`` changes in MMPose / MMEngine (docs/importing.md).

The first test lists every name the import rebinds or adds in MMPose's and MMEngine's
modules and classes and compares it with the documented list: a new patch, or one that
went away, fails it until docs/importing.md and this list say so. The guard tests fail
when MMPose / MMEngine move a name that a remaining patch relies on.
"""
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Every change the import makes to names of MMPose / MMEngine (registries aside), as
# (module, name[, class attribute | dict key]). docs/importing.md explains each one.
DOCUMENTED_CHANGES = {
    # 1. torch >= 2.6: local checkpoints load through our allow-listed safe loader.
    ('mmengine.runner.checkpoint', 'CheckpointLoader', '_schemes'),
    ('mmengine.runner.checkpoint', 'CheckpointLoader', '_schemes', "''"),
    # 2. The 'atomic_local' file backend: a new name (MMEngine's 'local' is untouched).
    ('mmengine.fileio.backends.registry_utils', 'backends', "'atomic_local'"),
    ('mmengine.fileio.backends', 'backends', "'atomic_local'"),
    ('mmengine.fileio.io', 'backends', "'atomic_local'"),
    # 3. MMPoseInferencer(pose2d=<video config>) builds our VideoPoseInferencer.
    ('mmpose.apis.inferencers.mmpose_inferencer', 'Pose2DInferencer'),
    # 4. 'track_id' in MMPose's prediction dicts.
    ('mmpose.apis.inferencers.base_mmpose_inferencer', 'split_instances'),
    # 5. The video inferencer's call-time arguments pass MMPoseInferencer's check.
    ('mmpose.apis.inferencers.mmpose_inferencer', 'MMPoseInferencer', 'preprocess_kwargs'),
    ('mmpose.apis.inferencers.mmpose_inferencer', 'MMPoseInferencer', 'forward_kwargs'),
}

SNAPSHOT = r'''
import importlib, json, os, sys, types
for name in ['mmengine.fileio', 'mmengine.hooks.checkpoint_hook', 'mmengine.runner.checkpoint',
             'mmpose.apis.inferencers.mmpose_inferencer',
             'mmpose.apis.inferencers.base_mmpose_inferencer', 'mmpose.structures']:
    importlib.import_module(name)

def snapshot():
    """id of every module attribute, class attribute and dict item of MMPose / MMEngine."""
    state = {}
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod_name.split('.')[0] not in ('mmengine', 'mmpose', 'mmcv'):
            continue
        for key, value in list(vars(mod).items()):
            if isinstance(value, types.ModuleType):
                continue  # a submodule imported later appears here: not a patch
            state[(mod_name, key)] = id(value)
            if isinstance(value, dict) and not key.startswith('__'):
                for k, v in list(value.items()):
                    state[(mod_name, key, repr(k))] = id(v)
            if isinstance(value, type) and value.__module__ == mod_name:
                for attr, v in list(vars(value).items()):
                    state[(mod_name, key, attr)] = id(v)
                    if isinstance(v, dict) and not attr.startswith('__'):
                        for k, vv in list(v.items()):
                            state[(mod_name, key, attr, repr(k))] = id(vv)
    return state

before = snapshot()
modules_before = {key[0] for key in before}
import stdpose_mm  # noqa: F401
after = snapshot()
changed = [k for k in before if k in after and before[k] != after[k]]
added = [k for k in after if k not in before and k[0] in modules_before]
removed = [k for k in before if k not in after]
print(json.dumps(dict(changed=changed, added=added, removed=removed)))
'''


def test_import_changes_only_the_documented_names():
    proc = subprocess.run([sys.executable, '-c', SNAPSHOT], capture_output=True, text=True,
                          timeout=300, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    diff = json.loads(proc.stdout.strip().splitlines()[-1])
    assert diff['removed'] == []
    assert {tuple(k) for k in diff['changed'] + diff['added']} == DOCUMENTED_CHANGES


def test_omp_wait_policy_is_set_only_before_torch_loads():
    """6. ``OMP_WAIT_POLICY=PASSIVE`` when unset and torch not loaded yet; never overridden."""
    code = ('import os, sys; os.environ.pop("OMP_WAIT_POLICY", None)\n'
            'import stdpose_mm\n'
            'first = os.environ.get("OMP_WAIT_POLICY")\n'
            'print(first)\n')
    env_code = 'import os; os.environ["OMP_WAIT_POLICY"] = "ACTIVE"\nimport stdpose_mm\n' \
               'print(os.environ["OMP_WAIT_POLICY"])\n'
    late_code = ('import os; os.environ.pop("OMP_WAIT_POLICY", None)\nimport torch\n'
                 'import stdpose_mm\nprint(os.environ.get("OMP_WAIT_POLICY"))\n')
    outputs = [subprocess.run([sys.executable, '-c', c], capture_output=True, text=True,
                              timeout=300, cwd=REPO_ROOT) for c in (code, env_code, late_code)]
    assert [p.stdout.strip().splitlines()[-1] for p in outputs] == ['PASSIVE', 'ACTIVE', 'None']


# ---------------------------------------------------------------- guards of the patches


def test_guard_safe_checkpoint_loader():
    """MMEngine loads local files through ``CheckpointLoader``'s ``''`` scheme."""
    from mmengine.runner import checkpoint

    from stdpose_mm.utils.checkpoint import _load_from_local

    assert checkpoint.CheckpointLoader._schemes[''] is _load_from_local
    assert 'CheckpointLoader.load_checkpoint' in inspect.getsource(checkpoint._load_checkpoint)


def test_guard_atomic_backend_and_last_checkpoint():
    """The backend name goes through ``backend_args``; the pointer's name is as MMEngine's."""
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import checkpoint

    from stdpose_mm.engine.hooks.safe_checkpoint_hook import LAST_CHECKPOINT

    save_source = inspect.getsource(CheckpointHook._save_checkpoint_with_step)
    assert f"'{LAST_CHECKPOINT}'" in save_source and 'backend_args=self.backend_args' in \
        save_source
    assert f"'{LAST_CHECKPOINT}'" in inspect.getsource(checkpoint.find_latest_checkpoint)


def test_guard_pose2d_dispatcher():
    """``MMPoseInferencer.__init__`` builds its 2D inferencer by its module's global name."""
    from mmpose.apis.inferencers import mmpose_inferencer

    from stdpose_mm.apis.inferencers import dispatch_pose2d_inferencer

    assert mmpose_inferencer.Pose2DInferencer is dispatch_pose2d_inferencer
    assert 'Pose2DInferencer(' in inspect.getsource(mmpose_inferencer.MMPoseInferencer.__init__)


def test_guard_split_instances():
    """MMPose's ``postprocess`` turns instances into dicts by its module's global name."""
    from mmpose.apis.inferencers import base_mmpose_inferencer

    from stdpose_mm.apis.inferencers import split_instances_with_track_ids

    assert base_mmpose_inferencer.split_instances is split_instances_with_track_ids
    assert 'split_instances(' in inspect.getsource(
        base_mmpose_inferencer.BaseMMPoseInferencer.postprocess)


def test_guard_call_time_arguments():
    """``MMPoseInferencer.__call__`` checks arguments against its class-level sets."""
    from mmengine.infer import BaseInferencer
    from mmpose.apis.inferencers.mmpose_inferencer import MMPoseInferencer

    from stdpose_mm.apis.inferencers.mmpose_hooks import (
        VIDEO_FORWARD_KWARGS,
        VIDEO_PREPROCESS_KWARGS,
    )

    assert VIDEO_PREPROCESS_KWARGS <= MMPoseInferencer.preprocess_kwargs
    assert VIDEO_FORWARD_KWARGS <= MMPoseInferencer.forward_kwargs
    assert 'self._dispatch_kwargs(' in inspect.getsource(MMPoseInferencer.__call__)
    source = inspect.getsource(BaseInferencer._dispatch_kwargs)
    assert 'self.preprocess_kwargs' in source and 'self.forward_kwargs' in source


# ----------------------------------------------------- the dispatcher fails loudly now


def test_broken_video_config_fails_loudly(tmp_path):
    """A config that cannot be read raises instead of falling back to Pose2DInferencer."""
    from stdpose_mm.apis.inferencers import dispatch_pose2d_inferencer, is_video_pose_config

    broken = tmp_path / 'broken_video_config.py'
    broken.write_text("model = dict(type='VideoTopdownPoseEstimator',\n")  # cut short
    with pytest.raises(SyntaxError):
        is_video_pose_config(str(broken))
    with pytest.raises(SyntaxError):
        dispatch_pose2d_inferencer(str(broken), device='cpu')
    no_model = tmp_path / 'no_model.py'
    no_model.write_text('codec = dict()\n')
    with pytest.raises(ValueError, match='no_model.py: no model.type'):
        is_video_pose_config(str(no_model))


def test_aliases_and_single_frame_configs_are_not_video():
    from stdpose_mm.apis.inferencers import is_video_pose_config

    assert not is_video_pose_config('human')  # an MMPose alias, not a file
    assert not is_video_pose_config(None)
    assert not is_video_pose_config(dict(model=dict(type='TopdownPoseEstimator')))
    assert is_video_pose_config(dict(model=dict(type='VideoTopdownPoseEstimator')))
