# STDPose pose propagation (the paper's second task), HRNet-W48 384x288, 5 frames, PoseTrack17
# with 26.7% of the training frames labelled. A sample is a labelled source frame (its pose
# enters as heatmaps) and a labelled target frame 1..k frames away, with the frames between;
# the model predicts the target's pose. Then:
#   python tools/train.py configs/stdpose_propagation_hrnet_pt17.py
#   python tools/propagate.py configs/stdpose_propagation_hrnet_pt17.py CKPT \
#       --out work_dirs/stdpose_propagation_hrnet_pt17/pseudo_labels.json
#   python tools/train.py configs/stdpose_pseudo-label_hrnet_pt17.py
_base_ = ['./stdpose_hrnet_pt17.py']

# ---- the paper's sparse-label setting ----
# PoseTrack17 labels 30 consecutive frames per training video; every 4th of them is
# 8 / 30 = 26.7%, the paper's labelled fraction.
label_stride = 4
propagation_max_distance = 4  # source-target distance range [1, 4] (labelled pairs: 4 apart)

model = dict(
    type='PosePropagationEstimator',
    key_frame_index=-1,  # frames run source -> target; the target is the key frame
    source_frame_index=0,
    source_pose_encoder=dict(
        type='SourcePoseEncoder', in_channels={{_base_.backbone_channels}}, num_keypoints=17))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),  # the source's box: the target's is unknown at inference
    dict(type='VideoRandomFlip', direction='horizontal'),
    # No RandomHalfBody: it would move the crop to the target's (hidden) keypoints.
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size={{_base_.input_size}}),
    dict(type='GenerateSourceHeatmap', encoder={{_base_.codec}}),
    dict(type='GenerateVideoTarget', encoder={{_base_.codec}}),
    dict(type='PackVideoPoseInputs')
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size={{_base_.input_size}}),
    dict(type='GenerateSourceHeatmap', encoder={{_base_.codec}}),
    dict(type='PackVideoPoseInputs')
]
propagation_pairs = dict(min_distance=1, max_distance=propagation_max_distance)
train_dataloader = dict(
    dataset=dict(label_stride=label_stride, propagation_pairs=propagation_pairs,
                 pipeline=train_pipeline))
# Validation: propagation between ground-truth val frames (sources drawn 1..4 frames away,
# the same on every evaluation); the metric is the PoseTrack AP of the propagated poses.
val_dataloader = dict(
    dataset=dict(bbox_file=None, filter_cfg=None, propagation_pairs=propagation_pairs,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
