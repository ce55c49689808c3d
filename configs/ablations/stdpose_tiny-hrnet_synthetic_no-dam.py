# Ablation: the CPU STDPose model with its DAM switched off (the module is not built).
_base_ = ['../cpu/stdpose_tiny-hrnet_synthetic.py']

model = dict(neck=dict(dam=dict(use_dam=False)))
