# Ablation: the CPU headline model (DAM -> TFF+TKS -> MLSME -> SMML) with the motion encoder's
# context reconstruction switched off (no context decoder, no loss).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(neck=dict(motion=dict(context_reconstruction=False)))
