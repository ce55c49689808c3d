# Ablation: the CPU headline model (DAM -> TFF+TKS -> MLSME -> SMML) with the motion encoder's
# support-frame masking switched off (no frame mask token).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(neck=dict(motion=dict(mask_frames=False)))
