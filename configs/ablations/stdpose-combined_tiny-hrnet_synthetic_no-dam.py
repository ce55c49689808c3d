# Ablation: the CPU headline model with the Dynamic-Aware Mask switched off (all masks 1;
# the per-frame heatmap layer stays for the per-frame loss and TKS).
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

model = dict(neck=dict(dam=dict(use_dam=False)))
