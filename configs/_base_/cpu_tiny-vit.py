# The CPU models' ViT (../cpu/*tiny-vit*, ../research/*tiny-vit*): ViT-Tiny's width (192,
# 3 heads) at half its depth (6 blocks), patch 16, so it has the tiny HRNet's parameters
# (2.9M vs 2.8M; 0.07 vs 0.12 GMACs per 96x64 crop). Its two deconvolutions (ViTPose's
# head, 32 channels) bring the stride-16 tokens to the stride-4 grid and the tiny HRNet's
# width, so every neck and head of the tiny-HRNet configs runs unchanged. Trained from
# scratch like the tiny HRNet. Variable names are unique so this file sits beside any base.
tiny_vit_arch = dict(embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768)
tiny_vit_channels = 32  # = tiny_hrnet_channels of cpu_synthetic.py
tiny_vit_common = dict(
    arch=tiny_vit_arch,
    patch_size=16,
    qkv_bias=True,
    drop_path_rate=0.1,
    with_cls_token=False,
    out_type='featmap',
    patch_cfg=dict(padding=2))
# Video models: the ViT with its per-frame upsampling (one backbone module, so cached
# backbone features at inference are the upsampled ones).
tiny_vit_upsampled = dict(
    _delete_=True,
    type='UpsampledVisionTransformer',
    img_size=(128, 96),  # (h, w) of cpu_synthetic.py's input; research configs override
    deconv_out_channels=(tiny_vit_channels, tiny_vit_channels),
    deconv_kernel_sizes=(4, 4),
    **tiny_vit_common)
# The single-frame model is MMPose's ViTPose layout: the plain ViT, deconvolutions in the
# head (its checkpoints load into the video models as a ViTPose checkpoint does).
tiny_vit_plain = dict(
    _delete_=True, type='mmpretrain.VisionTransformer', img_size=(128, 96), **tiny_vit_common)
tiny_vit_head_deconvs = dict(
    deconv_out_channels=(tiny_vit_channels, tiny_vit_channels), deconv_kernel_sizes=(4, 4))
# ViTPose's optimizer at the CPU models' lr (Adam 2e-3 would be the tiny HRNet's): AdamW,
# weight decay 0.1, gradient clipping, and the layer-decay constructor of the paper-size
# configs, with rate 1 (no decay: layer decay protects pretrained early blocks, and this
# ViT starts from scratch).
tiny_vit_optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=dict(num_layers=tiny_vit_arch['num_layers'], layer_decay_rate=1.0),
    constructor='LayerDecayOptimWrapperConstructor',
    clip_grad=dict(max_norm=1., norm_type=2))
tiny_vit_custom_imports = dict(
    imports=['stdpose_mm', 'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper'],
    allow_failed_imports=False)
