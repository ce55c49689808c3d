# CPU single-frame ViTPose on the synthetic set: ./td-hm_tiny-hrnet_synthetic.py with the
# tiny ViT (../_base_/cpu_tiny-vit.py) and ViTPose's head (two deconvolutions + final
# layer). Its checkpoints have the layout of MMPose's ViTPose checkpoints.
# python tools/train.py configs/cpu/td-hm_tiny-vit_synthetic.py
_base_ = ['./td-hm_tiny-hrnet_synthetic.py', '../_base_/cpu_tiny-vit.py']

custom_imports = {{_base_.tiny_vit_custom_imports}}
optim_wrapper = {{_base_.tiny_vit_optim_wrapper}}
model = dict(
    backbone={{_base_.tiny_vit_plain}},
    head=dict(
        in_channels={{_base_.tiny_vit_arch.embed_dims}},
        deconv_out_channels={{_base_.tiny_vit_head_deconvs.deconv_out_channels}},
        deconv_kernel_sizes={{_base_.tiny_vit_head_deconvs.deconv_kernel_sizes}}))
