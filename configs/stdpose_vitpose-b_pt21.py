# The headline model (STDPose + Feng & Chen, docs/architecture.md) on ViTPose-B
# (docs/vit_backbone.md), 256x192, 5 frames, PoseTrack21 (its posetrack_data jsons
# read as published: one json per video, merged or as a folder).
# python tools/train.py configs/stdpose_vitpose-b_pt21.py
_base_ = ['./_base_/stdpose_combined_vitpose-b_256x192.py']

data_root = 'data/posetrack21/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='posetrack_data/train'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='posetrack_data/val',
        bbox_file='annotations/posetrack21_val_human_detections.json'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None, gt_dir=data_root + 'posetrack_data/val')
test_evaluator = val_evaluator
