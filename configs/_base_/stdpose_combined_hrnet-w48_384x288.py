# The product's headline model at the paper size (HRNet-W48, 384x288, 5 frames), both papers
# in one chain (docs/architecture.md):
#   STDPose's Dynamic-Aware Mask (per-frame heatmaps, residual masks; COCO head loads here)
#   -> STDPose's SpatioTemporalEncoder (TFF features, TKS synthesised heatmaps)
#   -> Feng & Chen's Multi-Level Semantic Motion Encoder (MLSME; masked reconstruction on a
#      second pass in training only, the pose path never sees a mask)
#   -> Feng & Chen's Spatial-Motion Mutual Learning head (SMML), whose spatial stream is the
#      key frame + TFF features and whose output corrects the TKS heatmaps (STDPose's
#      aggregation role).
# Leaf configs (../stdpose_hrnet_pt17/18/21.py) set the data paths.
_base_ = ['./stdpose_hrnet-w48_384x288.py']

# ---- numbers from Feng & Chen ----
mlsme_embed_dims = 256
mlsme_num_heads = 8
mlsme_num_patch_blocks = 4  # patch (cube) level
mlsme_num_frame_blocks = 4  # frame level
tube_mask_ratio = 0.5  # fraction of patch positions masked through all frames
num_masked_frames = 1  # support frames masked per sample (never the key frame)
smml_num_layers = 1  # mutual cross-attention layers (the paper uses 1 or 2)
# ---- our choices where the paper is silent ----
mlsme_patch_size = 4  # 96x72 heatmap grid -> 24x18 tokens per frame (as STDPose's TFF)
mlsme_decoder_depth = 1  # light reconstruction decoders: one joint block + linear
# Context (masked patch) reconstruction loss weight, "small" in the paper. Its targets are
# LayerNorm'ed feature patches (unit variance) while heatmap MSE is ~100x smaller: at 0.1
# the reconstruction gradient into the backbone was 2.3x the key-frame loss's and the CPU
# model did not learn (16.9 AP vs 71.4 for STDPose, 4 epochs); 0.01 trains normally.
lambda_ctx = 0.01
lambda_pose = 0.5  # pose (key-frame heatmap) reconstruction loss weight
motion_channels = mlsme_embed_dims  # channels of motion_feats
smml_embed_dims = mlsme_embed_dims  # S and M projected to the motion encoder's width
smml_num_heads = mlsme_num_heads
smml_attn_stride = 4  # keys/values pooled 4x: 6912 queries attend to 432 tokens
smml_decoder_channels = 256
smml_num_decoder_convs = 2

model = dict(
    neck=dict(
        motion=dict(
            type='SemanticMotionEncoder',
            in_channels={{_base_.backbone_channels}},
            num_keypoints=17,
            num_frames={{_base_.num_frames}},
            out_channels=motion_channels,
            embed_dims=mlsme_embed_dims,
            patch_size=mlsme_patch_size,
            num_patch_blocks=mlsme_num_patch_blocks,
            num_frame_blocks=mlsme_num_frame_blocks,
            num_heads=mlsme_num_heads,
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
        in_channels={{_base_.backbone_channels}},
        out_channels=17,
        motion_channels=motion_channels,
        temporal_channels={{_base_.backbone_channels}},  # TFF output width (= C)
        synth_residual=True,  # corrects TKS's heatmaps, as STDPose's aggregation head
        embed_dims=smml_embed_dims,
        num_heads=smml_num_heads,
        num_layers=smml_num_layers,
        attn_stride=smml_attn_stride,
        cross_attention=True,
        fusion='mutual',
        decoder_channels=smml_decoder_channels,
        num_decoder_convs=smml_num_decoder_convs,
        lambda_pose=lambda_pose,
        frame_loss_weight={{_base_.frame_loss_weight}},
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.codec}}))
