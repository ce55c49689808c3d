# STDPose, HRNet-W48 384x288, 5 frames, PoseTrack17 (the paper's main setting).
# The headline stays STDPose-only: the combined STDPose + Feng & Chen model
# (_base_/stdpose_combined_hrnet-w48_384x288.py) did not match it in our same-budget CPU
# ablation (README, issue 6); inherit that base with these data paths to train it.
# Convert the official annotations first:
#   python tools/convert_posetrack17.py PT17/annotations/train data/posetrack17/annotations \
#       --split train   (and --split val)
# Val uses the person detections of the PoseTrack17 literature (DCPose/PoseWarper release),
# converted to MMPose's detections json.
# python tools/train.py configs/stdpose_hrnet_pt17.py
_base_ = ['./_base_/stdpose_hrnet-w48_384x288.py']

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
