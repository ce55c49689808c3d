# Ablation: the CPU headline model (DAM -> TFF+TKS -> MLSME -> SMML) with the head's learned pixel-wise
# fusion replaced by a plain sum S' + M' (the mutual cross-attention stays).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(head=dict(fusion='sum'))
