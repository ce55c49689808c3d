import torch
from mmpose.structures import PoseDataSample

from stdpose_mm.models.data_preprocessors import VideoPoseDataPreprocessor


def test_stacks_converts_and_normalises():
    preprocessor = VideoPoseDataPreprocessor(mean=[10., 20., 30.], std=[1., 2., 4.],
                                             bgr_to_rgb=True)
    frames = [torch.randint(0, 255, (5, 3, 8, 6), dtype=torch.uint8) for _ in range(2)]
    out = preprocessor(dict(inputs=frames, data_samples=None))
    inputs = out['inputs']
    assert inputs.shape == (2, 5, 3, 8, 6)
    # Channel 0 of the output is the input's channel 2 (BGR -> RGB), normalised by mean[0].
    expected = (frames[1][3, 2].float() - 10.) / 1.
    torch.testing.assert_close(inputs[1, 3, 0], expected)
    torch.testing.assert_close(inputs[0, 0, 2], (frames[0][0, 0].float() - 30.) / 4.)


def test_single_frame_samples_use_mmpose_path():
    preprocessor = VideoPoseDataPreprocessor(mean=[0., 0., 0.], std=[1., 1., 1.])
    frames = [torch.zeros(3, 8, 6, dtype=torch.uint8) for _ in range(2)]
    samples = [PoseDataSample(metainfo=dict(img_shape=(8, 6))) for _ in range(2)]
    out = preprocessor(dict(inputs=frames, data_samples=samples))
    assert out['inputs'].shape == (2, 3, 8, 6)
