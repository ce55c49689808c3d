# CPU pose propagation model on the 30-frame synthetic set with every 4th frame labelled
# (8 / 30 = 26.7%, the paper's setting): the CPU STDPose model conditioned on the source pose.
#   python tools/make_synthetic_posetrack.py data/synthetic_sparse --train-videos 32 \
#       --val-videos 4 --frames 30 --label-stride 1 --seed 0
#   python tools/train.py configs/cpu/stdpose-propagation_tiny-hrnet_synthetic.py
_base_ = ['./stdpose_tiny-hrnet_synthetic.py']

data_root = 'data/synthetic_sparse/'
label_stride = 4  # 8 / 30 = 26.7%
propagation_max_distance = 4
# Only the labelled frames are targets (~27% of an epoch of the full set): more epochs.
cpu_propagation_epochs = 12

train_cfg = dict(max_epochs=cpu_propagation_epochs, val_interval=cpu_propagation_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=cpu_propagation_epochs, eta_min=1e-5, by_epoch=True),
]
model = dict(
    type='PosePropagationEstimator',
    key_frame_index=-1,
    source_frame_index=0,
    source_pose_encoder=dict(
        type='SourcePoseEncoder', in_channels={{_base_.tiny_hrnet_channels}}, num_keypoints=17))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='GenerateSourceHeatmap', encoder={{_base_.cpu_codec}}),
    dict(type='GenerateVideoTarget', encoder={{_base_.cpu_codec}}),
    dict(type='PackVideoPoseInputs')
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='GenerateSourceHeatmap', encoder={{_base_.cpu_codec}}),
    dict(type='PackVideoPoseInputs')
]
propagation_pairs = dict(min_distance=1, max_distance=propagation_max_distance)
train_dataloader = dict(
    dataset=dict(data_root=data_root, label_stride=label_stride,
                 propagation_pairs=propagation_pairs, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, propagation_pairs=propagation_pairs,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
