import numpy as np
import pytest

from stdpose_mm.datasets.transforms import GenerateSourceHeatmap

CODEC = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)


def make_results(num_frames=3, num_keypoints=17):
    keypoints = np.zeros((num_frames, 1, num_keypoints, 2), np.float32)
    visible = np.zeros((num_frames, 1, num_keypoints), np.float32)
    keypoints[0, 0, :, 0] = np.linspace(8, 88, num_keypoints)
    keypoints[0, 0, :, 1] = 60
    visible[0, 0] = 1
    visible[0, 0, 3] = 0  # an unlabelled joint
    keypoints[-1, 0] = 40  # the target's pose must not leak into the input
    visible[-1, 0] = 1
    return dict(transformed_frame_keypoints=keypoints, frame_keypoints_visible=visible)


def test_source_heatmap_peaks_at_source_keypoints():
    results = GenerateSourceHeatmap(encoder=CODEC)(make_results())
    heatmaps = results['source_heatmaps']
    assert heatmaps.shape == (17, 32, 24) and heatmaps.dtype == np.float32
    for joint in (0, 8, 16):
        y, x = np.unravel_index(heatmaps[joint].argmax(), heatmaps[joint].shape)
        expected_x = np.linspace(8, 88, 17)[joint] / 4
        assert abs(x - expected_x) <= 1 and abs(y - 15) <= 1
    assert heatmaps[3].max() == 0  # unlabelled joint: empty map


def test_source_index_selects_the_frame():
    results = GenerateSourceHeatmap(encoder=CODEC, source_frame_index=-1)(make_results())
    y, x = np.unravel_index(results['source_heatmaps'][0].argmax(), (32, 24))
    assert (x, y) == (10, 10)  # keypoint (40, 40) / 4


def test_missing_keypoints_are_named():
    with pytest.raises(KeyError, match='frame_keypoints'):
        GenerateSourceHeatmap(encoder=CODEC)(dict(img_path='a.jpg'))


def test_neighbour_heatmaps_follow_the_flip(tiny_posetrack):
    """The labelled neighbours and the prior move with the frames (flip + affine)."""
    from stdpose_mm.datasets import PoseTrackVideoDataset

    def sample(flip):
        pipeline = [dict(type='LoadVideoFrames'), dict(type='GetBBoxCenterScale')]
        if flip:
            pipeline.append(dict(type='VideoRandomFlip', prob=1.0))
        pipeline += [dict(type='VideoTopdownAffine', input_size=(96, 128)),
                     dict(type='GenerateNeighbourHeatmaps', encoder=CODEC)]
        dataset = PoseTrackVideoDataset(
            ann_file=str(tiny_posetrack / 'annotations' / 'posetrack18_val.json'),
            data_prefix=dict(img=str(tiny_posetrack) + '/'), pipeline=pipeline,
            test_mode=True, label_stride=4, propagation_triples=dict(hidden_targets=True))
        index = next(i for i in range(len(dataset))
                     if dataset.get_data_info(i)['neighbour_present'].sum() == 2)
        return dataset[index]

    plain, flipped = sample(False), sample(True)
    flip_indices = plain['flip_indices']
    assert plain['neighbour_heatmaps'].shape == (34, 32, 24)
    for joint in range(17):
        for maps in ('prior_heatmaps', 'neighbour_heatmaps'):
            source = plain[maps][flip_indices[joint]]
            mirrored = flipped[maps][joint]
            assert np.isclose(source.max(), mirrored.max(), atol=0.05)
            if source.max() > 0:
                y0, x0 = np.unravel_index(source.argmax(), source.shape)
                y1, x1 = np.unravel_index(mirrored.argmax(), mirrored.shape)
                assert abs(y0 - y1) <= 1 and abs((23 - x0) - x1) <= 1
    np.testing.assert_allclose(flipped['prior_keypoint_scores'][0],
                               plain['prior_keypoint_scores'][0][flip_indices], atol=0.05)
