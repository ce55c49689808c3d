# Ablation: the CPU headline model without STDPose's parts, i.e. Feng & Chen alone
# (MLSME -> SMML): DAM masks off (its per-frame heatmap layer stays for the per-frame
# loss), no TFF/TKS encoder, the head reads the key frame's features only.
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(
    neck=dict(dam=dict(use_dam=False), encoder=None),
    head=dict(temporal_channels=0, synth_residual=False))
