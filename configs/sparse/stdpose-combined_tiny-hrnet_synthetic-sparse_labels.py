# Sparse-label experiment, CPU, the headline temporal model (STDPose + Feng & Chen, ../cpu/
# stdpose-combined_tiny-hrnet_synthetic.py) trained on the 26.7% labelled frames alone
# (every 4th frame of the 30-frame synthetic videos, 8 / 30: STDPose's fraction). Support
# frames keep their images; their labels are hidden like the key frames'.
#   python tools/train.py configs/sparse/stdpose-combined_tiny-hrnet_synthetic-sparse_labels.py
_base_ = ['../cpu/stdpose-combined_tiny-hrnet_synthetic.py']

data_root = 'data/synthetic_sparse/'
label_stride = 4  # 8 / 30 = 26.7%, STDPose's labelled fraction

train_dataloader = dict(dataset=dict(data_root=data_root, label_stride=label_stride))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack18_val.json')
test_evaluator = val_evaluator
