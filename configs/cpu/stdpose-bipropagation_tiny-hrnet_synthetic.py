# CPU bidirectional pose propagation on the 30-frame synthetic set, every 4th frame labelled
# (8 / 30 = 26.7%, STDPose's setting): the CPU STDPose model (DAM + spatiotemporal encoder +
# aggregation head) conditioned on both labelled neighbours, predicting a zero-initialised
# correction of their linear interpolation (untrained = interpolation exactly).
#   python tools/make_synthetic_posetrack.py data/synthetic_sparse --train-videos 32 \
#       --val-videos 4 --frames 30 --label-stride 1 --seed 0
#   python tools/train.py configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py
#   python tools/propagate.py configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py \
#       work_dirs/.../epoch_12.pth --out pseudo.json --eval
_base_ = ['./stdpose_tiny-hrnet_synthetic.py']

data_root = 'data/synthetic_sparse/'
label_stride = 4  # 8 / 30 = 26.7% (STDPose); PoseWarper's protocol: 7
# Targets with a labelled neighbour at most this far (a gap of stride 7 puts targets up to
# 6 frames from a label; labelled targets see their neighbours at +-stride).
propagation_max_distance = 8
one_sided_prob = 0.15  # our choice: share of two-sided samples shown as video ends
# Our choice: the hidden labelled frames supervise the propagator, so that its training
# distances are those of use (1..stride-1); set False to spend only the labelled frames.
hidden_targets = True
cpu_propagation_epochs = 12  # as the one-sided CPU model (cpu/stdpose-propagation_*)

train_cfg = dict(max_epochs=cpu_propagation_epochs, val_interval=cpu_propagation_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=cpu_propagation_epochs, eta_min=1e-5, by_epoch=True),
]
model = dict(
    type='BidirectionalPropagationEstimator',
    neighbour_pose_encoder=dict(
        type='NeighbourPoseEncoder', in_channels={{_base_.tiny_hrnet_channels}},
        num_keypoints=17, distance_scale=8.0),
    head=dict(
        _delete_=True,
        type='PriorResidualHead',
        out_channels=17,
        head=dict(type='SpatioTemporalAggregationHead',
                  in_channels={{_base_.tiny_hrnet_channels}}, out_channels=17,
                  dilations=(3, 6)),
        decoder={{_base_.cpu_codec}}),
    # No flip test: the prior is exact, a flipped pass would only blur it (codec shift).
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),  # the interpolated neighbours' box, never the target's
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='GenerateVideoTarget', encoder={{_base_.cpu_codec}}),
    dict(type='GenerateNeighbourHeatmaps', encoder={{_base_.cpu_codec}}),
    dict(type='PackVideoPoseInputs')
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size={{_base_.cpu_input_size}}),
    dict(type='GenerateNeighbourHeatmaps', encoder={{_base_.cpu_codec}}),
    dict(type='PackVideoPoseInputs')
]
propagation_triples = dict(max_distance=propagation_max_distance,
                           one_sided_prob=one_sided_prob, hidden_targets=hidden_targets)
train_dataloader = dict(
    dataset=dict(data_root=data_root, label_stride=label_stride,
                 propagation_triples=propagation_triples, pipeline=train_pipeline))
# Validation: the val videos under the same label rule; the labelled frames' neighbours and
# the hidden frames' (hidden_targets) give the AP of propagated poses at the distances of use.
val_dataloader = dict(
    dataset=dict(data_root=data_root, label_stride=label_stride,
                 propagation_triples=propagation_triples, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
