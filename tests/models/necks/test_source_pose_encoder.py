import pytest
import torch

from stdpose_mm.models.necks import SourcePoseEncoder


def make_feats(batch_size=2, num_frames=3, channels=8, size=(8, 6)):
    torch.manual_seed(0)
    return dict(frame_feats=torch.randn(batch_size, num_frames, channels, *size),
                source_heatmaps=torch.rand(batch_size, 17, *size),
                source_frame_index=0, key_frame_index=-1)


def test_only_the_source_frame_is_conditioned():
    encoder = SourcePoseEncoder(in_channels=8)
    video_feats = make_feats()
    outputs = encoder(video_feats)
    assert outputs['frame_feats'].shape == video_feats['frame_feats'].shape
    assert outputs['source_pose_embedding'].shape == (2, 8, 8, 6)
    torch.testing.assert_close(outputs['frame_feats'][:, 1:], video_feats['frame_feats'][:, 1:])
    assert not torch.allclose(outputs['frame_feats'][:, 0], video_feats['frame_feats'][:, 0])


def test_different_poses_give_different_features_and_gradients_flow():
    encoder = SourcePoseEncoder(in_channels=8)
    video_feats = make_feats()
    other = dict(video_feats, source_heatmaps=video_feats['source_heatmaps'].flip(-1))
    assert not torch.allclose(encoder(video_feats)['frame_feats'],
                              encoder(other)['frame_feats'])
    encoder(video_feats)['frame_feats'].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in encoder.parameters() if p.requires_grad)


def test_heatmaps_of_another_size_are_resized():
    encoder = SourcePoseEncoder(in_channels=8)
    video_feats = dict(make_feats(), source_heatmaps=torch.rand(2, 17, 16, 12))
    assert encoder(video_feats)['frame_feats'].shape == (2, 3, 8, 8, 6)


def test_wrong_keypoint_count_is_an_error():
    encoder = SourcePoseEncoder(in_channels=8)
    with pytest.raises(ValueError, match='14 keypoint maps'):
        encoder(dict(make_feats(), source_heatmaps=torch.rand(2, 14, 8, 6)))
