# The headline model (both papers in one chain, docs/architecture.md) on the papers' backbone:
# ViTPose-B (MMPose's td-hm_ViTPose-base_8xb64-210e_coco-256x192), 256x192, 5 frames.
# The ViT's stride-16 tokens are upsampled per frame by ViTPose's own two deconvolutions
# (UpsampledVisionTransformer), so the DAM, the STDPose encoder, MLSME and SMML run on the
# 64x48 heatmap grid as with HRNet; why this route and not the temporal modules on the
# tokens: docs/vit_backbone.md. Leaf configs (../stdpose_vitpose-b_pt17/18/21.py) set the
# data paths.
_base_ = ['./stdpose_combined_hrnet-w48_384x288.py']

# ---- ViTPose-B, as MMPose's COCO config ----
input_size = (192, 256)  # (w, h)
heatmap_size = (48, 64)
vit_upsampled_channels = 256  # ViTPose-B's deconvolutions: 768 -> 256 -> 256
vit_num_layers = 12
codec = dict(type='UDPHeatmap', input_size=input_size, heatmap_size=heatmap_size, sigma=2)

# MMPose's ViTPose-B trained on COCO: its backbone loads into the backbone, its head's
# deconvolutions into the backbone's per-frame upsampling and its final layer into the DAM's
# per-frame heatmap layer (VideoTopdownPoseEstimator's load hook).
load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_ViTPose-base_8xb64-210e_coco-256x192-216eae50_20230314.pth')

# ViTPose's optimizer (AdamW, weight decay 0.1, layer-wise lr decay 0.75 over the 12 blocks,
# gradient clipping) on the base's 20-epoch PoseTrack schedule. Every layer outside
# backbone.layers/patch_embed/pos_embed (deconvolutions, necks, head) gets the full lr.
custom_imports = dict(
    imports=['stdpose_mm', 'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper'],
    allow_failed_imports=False)
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=dict(num_layers=vit_num_layers, layer_decay_rate=0.75),
    constructor='LayerDecayOptimWrapperConstructor',
    clip_grad=dict(max_norm=1., norm_type=2))

model = dict(
    backbone=dict(
        _delete_=True,
        type='UpsampledVisionTransformer',
        arch='base',
        img_size=(input_size[1], input_size[0]),
        patch_size=16,
        qkv_bias=True,
        drop_path_rate=0.3,
        with_cls_token=False,
        out_type='featmap',
        patch_cfg=dict(padding=2),
        deconv_out_channels=(vit_upsampled_channels, vit_upsampled_channels),
        deconv_kernel_sizes=(4, 4)),
    neck=dict(
        dam=dict(in_channels=vit_upsampled_channels),
        encoder=dict(
            in_channels=vit_upsampled_channels,
            # patch 4 on the 64x48 grid: 16x12 tokens per frame, the ViT's own patch grid
            tff_cfg=dict(feat_size=(heatmap_size[1], heatmap_size[0]))),
        motion=dict(in_channels=vit_upsampled_channels)),
    head=dict(
        in_channels=vit_upsampled_channels,
        temporal_channels=vit_upsampled_channels,
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))  # UDP

# ---- data: the base's steps with UDP warping, as ViTPose ----
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PerFrameTransform', transforms=[dict(type='PhotometricDistortion')]),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoRandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size=input_size, use_udp=True),
    dict(type='GenerateVideoTarget', encoder=codec),
    dict(type='PackVideoPoseInputs')
]
val_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size=input_size, use_udp=True),
    dict(type='PackVideoPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
