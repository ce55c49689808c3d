# Research setting (../_base_/cpu_research.py): the headline model (DAM -> TFF + TKS ->
# MLSME -> SMML) at 64x48.
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py', '../_base_/cpu_research.py']

data_root = {{_base_.research_data_root}}
train_cfg = {{_base_.research_train_cfg}}
param_scheduler = {{_base_.research_param_scheduler}}
model = dict(
    neck=dict(encoder=dict(tff_cfg=dict(feat_size={{_base_.research_tff_feat_size}}))),
    head=dict(decoder={{_base_.research_codec}}))
train_dataloader = dict(
    batch_size={{_base_.research_batch_size}},
    dataset=dict(data_root=data_root, pipeline={{_base_.research_video_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline={{_base_.research_video_val_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file={{_base_.research_val_ann_file}})
test_evaluator = val_evaluator
