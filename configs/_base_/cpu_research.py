# The CPU research setting (headline-model evidence, tools/headline_experiment.py): the CPU
# models on 64x96 crops (half the CPU configs' pixels), val every epoch, so every run shows
# its curve and seeds can be repeated on 2 cores. Variable names are unique so this file
# sits beside any base.
research_input_size = (64, 96)  # (w, h); CPU configs 96x128, the paper 288x384. HRNet's
# stride-32 branch needs both sides divisible by 32. A 64x64 pilot (16x16 heatmaps) reached
# only 27.7 AP after 4 epochs of 5, still rising: too coarse to compare models.
research_heatmap_size = (16, 24)
research_codec = dict(
    type='MSRAHeatmap', input_size=research_input_size, heatmap_size=research_heatmap_size,
    sigma=1.5)  # 2 at 24x32 (cpu_synthetic.py), scaled down with the heatmap
research_batch_size = 16
research_max_epochs = 6  # see the val curves in docs/headline_evidence.md
research_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=research_max_epochs, eta_min=1e-5, by_epoch=True),
]
research_train_cfg = dict(max_epochs=research_max_epochs, val_interval=1)
# The single-frame control (../research/td-hm_tiny-hrnet_research_batch80.py): as many
# labelled frames per step as a T=5 window batch (5 x 16), for as many steps (5x the epochs
# of a 5x larger batch), validated at the same steps.
research_window_frames = 5
research_control_batch_size = research_batch_size * research_window_frames
research_control_epochs = research_max_epochs * research_window_frames
research_control_train_cfg = dict(max_epochs=research_control_epochs,
                                  val_interval=research_window_frames)
research_control_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=research_control_epochs, eta_min=1e-5, by_epoch=True),
]
research_tff_feat_size = (24, 16)  # (h, w) of the heatmap grid
research_data_root = 'data/research_a/'  # tools/headline_experiment.py generates it
# Spelled out here: a leaf's `{{_base_.research_data_root}} + '...'` would concatenate
# MMEngine's random placeholder, not the path.
research_val_ann_file = research_data_root + 'annotations/posetrack18_val.json'

research_video_train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size=research_input_size),
    dict(type='GenerateVideoTarget', encoder=research_codec),
    dict(type='PackVideoPoseInputs')
]
research_video_val_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size=research_input_size),
    dict(type='PackVideoPoseInputs')
]
research_single_train_pipeline = [
    dict(type='LoadImage'),
    dict(type='PhotometricDistortion'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=research_input_size),
    dict(type='GenerateTarget', encoder=research_codec),
    dict(type='PackPoseInputs')
]
research_single_val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=research_input_size),
    dict(type='PackPoseInputs')
]
