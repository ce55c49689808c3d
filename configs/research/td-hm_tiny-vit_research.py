# Research setting (../_base_/cpu_research.py): the single-frame tiny ViTPose
# (../cpu/td-hm_tiny-vit_synthetic.py) at 64x48; ./td-hm_tiny-hrnet_research.py with
# another backbone and ViTPose's head.
_base_ = ['../cpu/td-hm_tiny-vit_synthetic.py', '../_base_/cpu_research.py']

data_root = {{_base_.research_data_root}}
train_cfg = {{_base_.research_train_cfg}}
param_scheduler = {{_base_.research_param_scheduler}}
model = dict(
    backbone=dict(img_size=(96, 64)),  # (h, w) of research_input_size: 6x4 tokens
    head=dict(decoder={{_base_.research_codec}}))
train_dataloader = dict(
    batch_size={{_base_.research_batch_size}},
    dataset=dict(data_root=data_root, pipeline={{_base_.research_single_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline={{_base_.research_single_val_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file={{_base_.research_val_ann_file}})
test_evaluator = val_evaluator
