# Ablation: the CPU headline model (DAM -> TFF+TKS -> MLSME -> SMML) with the motion encoder's
# pose reconstruction switched off (no pose decoder, no loss).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(neck=dict(motion=dict(pose_reconstruction=False)))
