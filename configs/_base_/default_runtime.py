# stdpose_mm runtime: MMPose's defaults + the plugin + safe checkpoints.
_base_ = ['mmpose::_base_/default_runtime.py']

# Registers every stdpose_mm component (also makes MMEngine load checkpoints with
# torch.load(weights_only=True) and our allow-list; docs/importing.md).
custom_imports = dict(imports=['stdpose_mm'], allow_failed_imports=False)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    # Keeps resume checkpoints loadable with weights_only=True.
    dict(type='SafeCheckpointHook'),
]
default_hooks = dict(
    checkpoint=dict(
        save_best='posetrack/Total AP', rule='greater', interval=1,
        # Checkpoints replace files atomically: a run killed mid-save keeps the old file.
        backend_args=dict(backend='atomic_local')))
# device_ids=None lets DDP take the module's device: the same config runs on GPUs and, with
# gloo, on CPU (MMEngine's default device_ids=[LOCAL_RANK] is refused for CPU modules).
model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)
