# CPU headline model on the synthetic set: DAM -> STDPose encoder (TFF + TKS) -> semantic
# motion encoder (MLSME) -> mutual-learning head (SMML), i.e.
# ../_base_/stdpose_combined_hrnet-w48_384x288.py on the CPU STDPose setting (tiny HRNet,
# 128x96 input, 32x24 heatmaps) with smaller transformers.
# python tools/train.py configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py
_base_ = ['./stdpose_tiny-hrnet_synthetic.py']

# ---- as the paper-size combined config (Feng & Chen's numbers and our choices) ----
tube_mask_ratio = 0.5
num_masked_frames = 1
smml_num_layers = 1
mlsme_decoder_depth = 1
lambda_ctx = 0.01  # see ../_base_/stdpose_combined_hrnet-w48_384x288.py
lambda_pose = 0.5
# ---- CPU size ----
cpu_embed_dims = 64  # paper: 256
cpu_num_heads = 4  # paper: 8
cpu_num_patch_blocks = 2  # paper: 4
cpu_num_frame_blocks = 2  # paper: 4
cpu_patch_size = 4  # 32x24 heatmap grid -> 8x6 = 48 tokens per frame
cpu_attn_stride = 2  # 768 queries attend to 16x12 = 192 pooled tokens

model = dict(
    neck=dict(
        motion=dict(
            type='SemanticMotionEncoder',
            in_channels={{_base_.tiny_hrnet_channels}},
            num_keypoints=17,
            num_frames={{_base_.num_frames}},
            out_channels=cpu_embed_dims,
            embed_dims=cpu_embed_dims,
            patch_size=cpu_patch_size,
            num_patch_blocks=cpu_num_patch_blocks,
            num_frame_blocks=cpu_num_frame_blocks,
            num_heads=cpu_num_heads,
            mask_cubes=True,
            tube_mask_ratio=tube_mask_ratio,
            mask_frames=True,
            num_masked_frames=num_masked_frames,
            context_reconstruction=True,
            pose_reconstruction=True,
            decoder_depth=mlsme_decoder_depth,
            lambda_ctx=lambda_ctx)),
    head=dict(
        _delete_=True,
        type='MutualLearningHead',
        in_channels={{_base_.tiny_hrnet_channels}},
        out_channels=17,
        motion_channels=cpu_embed_dims,
        temporal_channels={{_base_.tiny_hrnet_channels}},
        synth_residual=True,
        embed_dims=cpu_embed_dims,
        num_heads=cpu_num_heads,
        num_layers=smml_num_layers,
        attn_stride=cpu_attn_stride,
        cross_attention=True,
        fusion='mutual',
        decoder_channels=cpu_embed_dims,
        num_decoder_convs=2,
        lambda_pose=lambda_pose,
        frame_loss_weight={{_base_.frame_loss_weight}},
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.cpu_codec}}))
