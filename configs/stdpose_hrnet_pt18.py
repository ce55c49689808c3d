# The headline model (STDPose + Feng & Chen, docs/architecture.md), HRNet-W48 384x288,
# 5 frames, PoseTrack18 (data/posetrack18, MMPose's layout).
# python tools/train.py configs/stdpose_hrnet_pt18.py
_base_ = ['./_base_/stdpose_combined_hrnet-w48_384x288.py']
