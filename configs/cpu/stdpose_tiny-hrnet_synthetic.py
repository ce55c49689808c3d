# CPU STDPose on the synthetic set: the paper's model (../_base_/stdpose_hrnet-w48_384x288.py)
# with a tiny HRNet, 128x96 input, a lighter transformer and two deformable dilations.
# python tools/train.py configs/cpu/stdpose_tiny-hrnet_synthetic.py
_base_ = ['../_base_/stdpose_hrnet-w48_384x288.py', '../_base_/cpu_synthetic.py']

data_root = 'data/synthetic_posetrack/'
load_from = None  # trained from scratch: nothing is downloaded
train_cfg = dict(max_epochs={{_base_.cpu_max_epochs}}, val_interval={{_base_.cpu_max_epochs}})
optim_wrapper = dict(optimizer={{_base_.cpu_optimizer}})
param_scheduler = {{_base_.cpu_param_scheduler}}
auto_scale_lr = dict(base_batch_size={{_base_.cpu_batch_size}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=-1, save_last=True))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

model = dict(
    backbone={{_base_.tiny_hrnet}},
    neck=dict(
        dam=dict(in_channels={{_base_.tiny_hrnet_channels}}),
        encoder=dict(
            in_channels={{_base_.tiny_hrnet_channels}},
            tff_cfg=dict(feat_size=(32, 24), embed_dims=64, num_heads=4, num_layers=2))),
    head=dict(
        in_channels={{_base_.tiny_hrnet_channels}},
        dilations=(3, 6),
        decoder={{_base_.cpu_codec}}))

train_dataloader = dict(
    batch_size={{_base_.cpu_batch_size}},
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline={{_base_.cpu_video_train_pipeline}}))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, bbox_file=None, filter_cfg=None,
                 pipeline={{_base_.cpu_video_val_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
