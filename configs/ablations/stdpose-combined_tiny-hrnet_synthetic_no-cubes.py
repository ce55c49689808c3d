# Ablation: the CPU headline model (DAM -> TFF+TKS -> MLSME -> SMML) with the motion encoder's
# tube (cube) masking switched off (no cube mask token).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(neck=dict(motion=dict(mask_cubes=False)))
