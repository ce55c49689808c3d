# Peer baseline at the paper's size: DCPose-style head on the STDPose pipeline and backbone
# (HRNet-W48, 384x288, 5 frames, PoseTrack18), for side-by-side comparison.
_base_ = ['../stdpose_hrnet_pt18.py']

model = dict(
    neck=dict(dam=None, encoder=None, motion=None),
    head=dict(
        _delete_=True,
        type='DCPoseHead',
        in_channels={{_base_.backbone_channels}},
        out_channels=17,
        num_frames={{_base_.num_frames}},
        frame_loss_weight={{_base_.frame_loss_weight}},
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.codec}}))
