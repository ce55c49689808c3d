# STDPose, HRNet-W48 384x288, 5 frames, PoseTrack18 (data/posetrack18, MMPose's layout).
# The headline stays STDPose-only: the combined STDPose + Feng & Chen model
# (_base_/stdpose_combined_hrnet-w48_384x288.py) did not match it in our same-budget CPU
# ablation (README, issue 6); inherit that base with these data paths to train it.
# python tools/train.py configs/stdpose_hrnet_pt18.py
_base_ = ['./_base_/stdpose_hrnet-w48_384x288.py']
