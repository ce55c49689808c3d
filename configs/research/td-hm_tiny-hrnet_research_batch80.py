# Research control: the single-frame model shown as many labelled frames per step as a
# 5-frame model with all frames labelled (batch 16 x 5 = 80), for as many steps (5x the
# epochs), so a T-frame model's gain over it is temporal evidence, not extra supervision.
_base_ = ['./td-hm_tiny-hrnet_research.py']

train_cfg = {{_base_.research_control_train_cfg}}
param_scheduler = {{_base_.research_control_param_scheduler}}
train_dataloader = dict(batch_size={{_base_.research_control_batch_size}})
