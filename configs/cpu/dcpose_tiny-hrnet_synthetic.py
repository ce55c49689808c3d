# CPU peer baseline: a DCPose-style multi-frame head (heatmap residuals + deformable
# convolutions, no DAM, no transformer) on exactly the STDPose CPU pipeline and backbone.
_base_ = ['./stdpose_tiny-hrnet_synthetic.py']

model = dict(
    neck=dict(dam=None, encoder=None),
    head=dict(
        _delete_=True,
        type='DCPoseHead',
        in_channels={{_base_.tiny_hrnet_channels}},
        out_channels=17,
        num_frames={{_base_.num_frames}},
        dilations=(3, 6),
        frame_loss_weight={{_base_.frame_loss_weight}},
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.cpu_codec}}))
