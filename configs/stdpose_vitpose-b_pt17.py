# The headline model (STDPose + Feng & Chen, docs/architecture.md) on ViTPose-B
# (docs/vit_backbone.md), 256x192, 5 frames, PoseTrack17 (the paper's main setting).
# Convert the official annotations first:
#   python tools/convert_posetrack17.py PT17/annotations/train data/posetrack17/annotations \
#       --split train   (and --split val)
# Val uses the person detections of the PoseTrack17 literature (DCPose/PoseWarper release),
# converted to MMPose's detections json.
# python tools/train.py configs/stdpose_vitpose-b_pt17.py
_base_ = ['./_base_/stdpose_combined_vitpose-b_256x192.py']

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
