# Small settings for CPU runs on the synthetic set (tools/make_synthetic_posetrack.py).
# Variable names are unique so this file can sit beside any other base.
cpu_input_size = (96, 128)  # (w, h); the paper uses 288x384
cpu_codec = dict(
    type='MSRAHeatmap', input_size=cpu_input_size, heatmap_size=(24, 32), sigma=2)
# A 4-stage HRNet with one block per branch: same topology as HRNet-W48 (features at 1/4
# resolution from the highest-resolution branch), 32 channels there instead of 48.
tiny_hrnet_channels = 32
tiny_hrnet = dict(
    _delete_=True,  # replaces the inherited backbone entirely
    type='HRNet',
    in_channels=3,
    extra=dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1, ),
                    num_channels=(32, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                    num_channels=(32, 64)),
        stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                    num_channels=(32, 64, 128)),
        stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                    num_channels=(32, 64, 128, 256))))
cpu_data_preprocessor = dict(
    type='PoseDataPreprocessor',
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
cpu_batch_size = 16
cpu_max_epochs = 4  # ~3 min single-frame, ~10 min T=5 on 2 cores (40-video set)
cpu_optimizer = dict(type='Adam', lr=2e-3)
cpu_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=cpu_max_epochs, eta_min=1e-5, by_epoch=True),
]

# The T-frame pipelines at the CPU size (same steps as the paper-size configs).
cpu_video_train_pipeline = [
    dict(type='LoadVideoFrames'),
    # Photometric noise drawn per frame; geometry below is drawn once per sample.
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size=cpu_input_size),
    dict(type='GenerateVideoTarget', encoder=cpu_codec),
    dict(type='PackVideoPoseInputs')
]
cpu_video_val_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size=cpu_input_size),
    dict(type='PackVideoPoseInputs')
]
