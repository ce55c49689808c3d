# The headline model (STDPose + Feng & Chen, docs/architecture.md) on ViTPose-B
# (docs/vit_backbone.md), 256x192, 5 frames, PoseTrack18 (data/posetrack18, MMPose's
# layout).
# python tools/train.py configs/stdpose_vitpose-b_pt18.py
_base_ = ['./_base_/stdpose_combined_vitpose-b_256x192.py']
