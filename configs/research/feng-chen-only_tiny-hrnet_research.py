# Research setting: Feng & Chen alone (MLSME -> SMML; DAM masks off, no TFF/TKS) at 64x48,
# as ../ablations/feng-chen-only_tiny-hrnet_synthetic.py is to the CPU headline model.
_base_ = ['./stdpose-combined_tiny-hrnet_research.py']

model = dict(
    neck=dict(dam=dict(use_dam=False), encoder=None),
    head=dict(temporal_channels=0, synth_residual=False))
