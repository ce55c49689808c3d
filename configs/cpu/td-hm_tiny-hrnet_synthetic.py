# CPU single-frame baseline on the synthetic set: MMPose's PoseTrack18 HRNet config
# (through ../baselines) with a tiny HRNet, 128x96 input and the synthetic data.
# python tools/train.py configs/cpu/td-hm_tiny-hrnet_synthetic.py
_base_ = ['../baselines/td-hm_hrnet-w48_posetrack18-384x288.py', '../_base_/cpu_synthetic.py']

data_root = 'data/synthetic_posetrack/'
codec = {{_base_.cpu_codec}}
load_from = None  # trained from scratch: nothing is downloaded
train_cfg = dict(max_epochs={{_base_.cpu_max_epochs}}, val_interval={{_base_.cpu_max_epochs}})
optim_wrapper = dict(optimizer={{_base_.cpu_optimizer}})
param_scheduler = {{_base_.cpu_param_scheduler}}
auto_scale_lr = dict(base_batch_size={{_base_.cpu_batch_size}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=-1, save_last=True))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

model = dict(
    data_preprocessor={{_base_.cpu_data_preprocessor}},
    backbone={{_base_.tiny_hrnet}},
    head=dict(in_channels={{_base_.tiny_hrnet_channels}}, decoder=codec),
    test_cfg=dict(flip_test=True))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='PhotometricDistortion'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='PackPoseInputs')
]
# The video dataset with one frame per sample, so sparse labels work as for the
# temporal models.
single_frame_dataset = dict(type='PoseTrackVideoDataset', data_root=data_root,
                            frame_indices=[0], data_prefix=dict(img=''))
train_dataloader = dict(
    batch_size={{_base_.cpu_batch_size}},
    num_workers=2,
    persistent_workers=True,
    dataset=dict(_delete_=True, **single_frame_dataset,
                 ann_file='annotations/posetrack18_train.json', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(_delete_=True, **single_frame_dataset, test_mode=True,
                 ann_file='annotations/posetrack18_val.json', pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)  # CPU DDP
