# Ablation: the CPU STDPose model with its TFF switched off (the module is not built).
_base_ = ['../cpu/stdpose_tiny-hrnet_synthetic.py']

model = dict(neck=dict(encoder=dict(use_tff=False)))
