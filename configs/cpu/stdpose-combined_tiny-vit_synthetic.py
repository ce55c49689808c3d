# CPU headline model on the synthetic set with a ViT backbone: ./stdpose-combined_tiny-hrnet
# _synthetic.py (DAM -> TFF + TKS -> MLSME -> SMML, 128x96 input, 32x24 heatmaps) with the
# tiny HRNet replaced by a tiny ViT and ViTPose's per-frame deconvolutions
# (../_base_/cpu_tiny-vit.py); the necks and the head are unchanged. The CPU stand-in of
# ../stdpose_vitpose-b_pt17.py.
# python tools/train.py configs/cpu/stdpose-combined_tiny-vit_synthetic.py
_base_ = ['./stdpose-combined_tiny-hrnet_synthetic.py', '../_base_/cpu_tiny-vit.py']

custom_imports = {{_base_.tiny_vit_custom_imports}}
optim_wrapper = {{_base_.tiny_vit_optim_wrapper}}
model = dict(backbone={{_base_.tiny_vit_upsampled}})
