# Sparse-label experiment, CPU: the upper bound, every training frame labelled (100%).
#   python tools/train.py configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_full.py
_base_ = ['./td-hm_tiny-hrnet_synthetic-sparse_labels.py']

train_dataloader = dict(dataset=dict(label_stride=None))
