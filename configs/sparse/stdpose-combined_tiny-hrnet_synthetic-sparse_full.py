# Sparse-label experiment, CPU, headline temporal model: the upper bound, 100% labels.
#   python tools/train.py configs/sparse/stdpose-combined_tiny-hrnet_synthetic-sparse_full.py
_base_ = ['./stdpose-combined_tiny-hrnet_synthetic-sparse_labels.py']

train_dataloader = dict(dataset=dict(label_stride=None))
