# Ablation at paper size: STDPose alone (DAM -> TFF + TKS -> deformable aggregation head,
# ../_base_/stdpose_hrnet-w48_384x288.py) on the headline's PoseTrack17 data, i.e. the
# headline model without Feng & Chen's motion encoder and mutual-learning head.
# python tools/train.py configs/ablations/stdpose-only_hrnet_pt17.py
_base_ = ['../_base_/stdpose_hrnet-w48_384x288.py']

data_root = 'data/posetrack17/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/posetrack17_train.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/posetrack17_val.json',
        bbox_file='annotations/posetrack17_val_human_detections.json'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/posetrack17_val.json')
test_evaluator = val_evaluator
