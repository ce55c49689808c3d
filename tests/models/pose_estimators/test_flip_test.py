"""The flip test of every video head, proven on values: ``predict`` with flip equals the
mean of the plain heatmaps and the flipped-back heatmaps of the flipped input."""
import pytest
import torch
from mmengine import Config
from mmpose.registry import MODELS

from ..video_samples import COCO_FLIP_INDICES, make_video_data_samples

T, K = 5, 17
HEATMAP_HW = (32, 24)  # the CPU configs' 128x96 input at stride 4
CONFIGS = {
    'SpatioTemporalAggregationHead': 'configs/cpu/stdpose_tiny-hrnet_synthetic.py',
    'MutualLearningHead': 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py',
    'DCPoseHead': 'configs/cpu/dcpose_tiny-hrnet_synthetic.py',
}


def flip_back(heatmaps: torch.Tensor, flip_indices, shift: bool) -> torch.Tensor:
    """Heatmaps of a horizontally flipped input mapped back to the original image: left and
    right joints swapped, columns mirrored, and (``shift``) moved one pixel right, since
    a flipped pixel grid is off by one (MMPose's ``shift_heatmap``)."""
    back = heatmaps[:, list(flip_indices)].flip(-1)
    if shift:
        back = torch.cat([back[..., :1], back[..., :-1]], dim=-1)
    return back


@pytest.mark.parametrize('shift', [False, True])
@pytest.mark.parametrize('head_type', sorted(CONFIGS))
def test_flip_test_averages_plain_and_flipped_back_heatmaps(head_type, shift):
    from tests.conftest import REPO_ROOT

    cfg = Config.fromfile(str(REPO_ROOT / CONFIGS[head_type]))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    assert type(model.head).__name__ == head_type
    model.test_cfg.update(flip_test=True, flip_mode='heatmap', shift_heatmap=shift,
                          output_heatmaps=True)
    height, width = HEATMAP_HW
    samples = make_video_data_samples(torch.ones(2, T), K, HEATMAP_HW)
    inputs = torch.randn(2, T, 3, height * 4, width * 4)
    with torch.no_grad():
        results = model.predict(inputs, samples)
        plain = model._forward(inputs)
        flipped = model._forward(inputs.flip(-1))
    predicted = torch.stack([torch.as_tensor(r.pred_fields.heatmaps) for r in results])

    expected = (plain + flip_back(flipped, COCO_FLIP_INDICES, shift)) / 2
    # Untrained heads output small values: compare relative to their scale.
    scale = plain.abs().max()
    assert scale > 0
    torch.testing.assert_close(predicted / scale, expected / scale, rtol=1e-4, atol=1e-5)
    # The reference is sharp enough to catch a wrong flip-back: no joint swap fails it.
    unswapped = (plain + flip_back(flipped, range(K), shift)) / 2
    assert not torch.allclose(predicted / scale, unswapped / scale, rtol=1e-4, atol=1e-5)
