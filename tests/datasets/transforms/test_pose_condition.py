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
