# Research control: the single-frame model shown as many labelled frames per step as a
# 5-frame model with all frames labelled (batch 16 x 5 = 80), for as many steps (5x the
# epochs), so a T-frame model's gain over it is temporal evidence, not extra supervision.
_base_ = ['./td-hm_tiny-hrnet_research.py']

frames_per_window = 5
epochs = {{_base_.research_max_epochs}} * frames_per_window
train_cfg = dict(max_epochs=epochs, val_interval=frames_per_window)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=epochs, eta_min=1e-5, by_epoch=True),
]
train_dataloader = dict(batch_size={{_base_.research_batch_size}} * frames_per_window)
