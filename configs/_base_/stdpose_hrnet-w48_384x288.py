# STDPose (Jiao et al., AAAI 2025) on HRNet-W48, 384x288, 5 frames, PoseTrack layout.
# STDPose alone; the headline configs (../stdpose_hrnet_pt17/18/21.py) add Feng & Chen on top
# (./stdpose_combined_hrnet-w48_384x288.py). Leaf configs set the data paths.
_base_ = ['./default_runtime.py']

# ---- numbers from the paper (and its predecessor DCPose where STDPose is silent) ----
num_frames = 5  # key frame t and supports t-2..t+2 (STDPose, DCPose)
frame_indices = [-2, -1, 0, 1, 2]
input_size = (288, 384)  # (w, h), the PoseTrack standard the paper reports
heatmap_size = (72, 96)
# Dynamic-Aware Mask M = 1 / (1 + exp(-k (|R| - theta))) on heatmaps in [0, 1]; the paper
# does not publish k and theta: these put |R| = 0 at ~0.05 and |R| = 0.2 at ~0.95.
dam_sharpness_k = 30.0
dam_threshold_theta = 0.1
frame_loss_weight = 1.0  # per-frame heatmaps vs key frame, equal as in DCPose
backbone_channels = 48  # HRNet-W48 highest-resolution branch

# ---- schedule: MMPose's PoseTrack18 recipe (20 epochs, Adam 5e-4, steps at 10 and 15) ----
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=256)
# The backbone starts from MMPose's COCO HRNet-W48 (as DCPose starts from COCO) and the COCO
# head's final layer becomes the DAM's per-frame heatmap layer (VideoTopdownPoseEstimator's
# load hook); the other video layers have no counterpart there and keep their own init.
load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_hrnet-w48_8xb32-210e_coco-384x288-c161b7de_20220915.pth')

codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=heatmap_size, sigma=3)

model = dict(
    type='VideoTopdownPoseEstimator',
    data_preprocessor=dict(
        type='VideoPoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(48, 96)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(48, 96, 192)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC',
                        num_blocks=(4, 4, 4, 4), num_channels=(48, 96, 192, 384)))),
    # Named stages, applied in order; ablations switch parts off by name.
    neck=dict(
        dam=dict(
            type='DynamicAwareMask',
            in_channels=backbone_channels,
            k=dam_sharpness_k,
            theta=dam_threshold_theta,
            use_dam=True),
        encoder=dict(
            type='SpatioTemporalEncoder',
            in_channels=backbone_channels,
            num_frames=num_frames,
            use_tff=True,
            use_tks=True,
            tff_cfg=dict(feat_size=(heatmap_size[1], heatmap_size[0])))),
    head=dict(
        type='SpatioTemporalAggregationHead',
        in_channels=backbone_channels,
        out_channels=17,
        frame_loss_weight=frame_loss_weight,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# ---- data ----
dataset_type = 'PoseTrackVideoDataset'
data_root = 'data/posetrack18/'
train_pipeline = [
    dict(type='LoadVideoFrames'),
    # Photometric noise drawn per frame; geometry below is drawn once per sample.
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size=input_size),
    dict(type='GenerateVideoTarget', encoder=codec),
    dict(type='PackVideoPoseInputs')
]
val_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size=input_size),
    dict(type='PackVideoPoseInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/posetrack18_train.json',
        data_prefix=dict(img=''),
        frame_indices=frame_indices,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/posetrack18_val.json',
        bbox_file='annotations/posetrack18_val_human_detections.json',
        filter_cfg=dict(bbox_score_thr=0.4),
        data_prefix=dict(img=''),
        frame_indices=frame_indices,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PoseTrackMetric', ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
