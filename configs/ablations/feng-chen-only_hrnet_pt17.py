# Ablation at paper size: Feng & Chen alone (MLSME -> SMML) on the headline's PoseTrack17
# data: no Dynamic-Aware Mask (the DAM stage only keeps its per-frame heatmap layer, with
# all masks 1, so the per-frame supervision and the COCO head weights stay as in the
# headline) and no STDPose encoder (TFF/TKS) feeding the head.
# python tools/train.py configs/ablations/feng-chen-only_hrnet_pt17.py
_base_ = ['../stdpose_hrnet_pt17.py']

model = dict(
    neck=dict(dam=dict(use_dam=False), encoder=None),
    head=dict(temporal_channels=0, synth_residual=False))
