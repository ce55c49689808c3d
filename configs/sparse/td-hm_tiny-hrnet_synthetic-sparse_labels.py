# Sparse-label experiment, CPU: the single-frame estimator trained on the 26.7% labelled
# frames alone (every 4th frame of the 30-frame synthetic videos, 8 / 30).
#   python tools/train.py configs/sparse/td-hm_tiny-hrnet_synthetic-sparse_labels.py
_base_ = ['../cpu/td-hm_tiny-hrnet_synthetic.py']

data_root = 'data/synthetic_sparse/'
label_stride = 4  # 8 / 30 = 26.7%, the paper's labelled fraction

train_dataloader = dict(dataset=dict(data_root=data_root, label_stride=label_stride))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
