# Single-frame baseline: MMPose's own PoseTrack18 HRNet-W48 config, evaluated with the
# built-in PoseTrack metric (poseval-equal, no poseval install).
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
    'td-hm_hrnet-w48_8xb64-20e_posetrack18-384x288.py'
]

custom_imports = dict(imports=['stdpose_mm'], allow_failed_imports=False)
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='SafeCheckpointHook')]
# Checkpoints replace files atomically (configs/_base_/default_runtime.py, docs/importing.md).
default_hooks = dict(
    checkpoint=dict(save_best='posetrack/Total AP', rule='greater',
                    backend_args=dict(backend='atomic_local')))

val_evaluator = dict(
    _delete_=True,
    type='PoseTrackMetric',
    ann_file='data/posetrack18/annotations/posetrack18_val.json')
test_evaluator = val_evaluator
