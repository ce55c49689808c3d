"""A single-frame COCO-layout checkpoint loads into the video models through MMEngine's
``load_checkpoint(model, file, strict=False)`` (what ``load_from`` calls), every tensor
where it belongs."""
import pytest
import torch
from mmengine import Config
from mmengine.runner import load_checkpoint
from mmpose.registry import MODELS

import stdpose_mm.models.pose_estimators.video_topdown as video_topdown

SINGLE_FRAME = 'configs/cpu/td-hm_tiny-hrnet_synthetic.py'
VIDEO_CONFIGS = ['configs/cpu/stdpose_tiny-hrnet_synthetic.py',
                 'configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py']


def _build(path: str, seed: int):
    from tests.conftest import REPO_ROOT

    torch.manual_seed(seed)
    return MODELS.build(Config.fromfile(str(REPO_ROOT / path)).model)


@pytest.fixture
def coco_checkpoint(tmp_path):
    """A single-frame top-down model's checkpoint (MMPose's layout: ``state_dict`` with
    ``backbone.*`` and ``head.final_layer.*``), every tensor distinct from any init."""
    model = _build(SINGLE_FRAME, seed=123)
    state = {name: torch.full_like(value, 0.25) + torch.rand_like(value.float()).to(value)
             if value.is_floating_point() else value
             for name, value in model.state_dict().items()}
    path = tmp_path / 'coco_single_frame.pth'
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path, state


@pytest.mark.parametrize('config', VIDEO_CONFIGS)
def test_single_frame_checkpoint_lands_in_backbone_and_dam(config, coco_checkpoint,
                                                           monkeypatch):
    path, ckpt = coco_checkpoint
    logged = []
    monkeypatch.setattr(video_topdown, 'print_log', lambda msg, **kw: logged.append(msg))
    model = _build(config, seed=0)
    before = {name: value.clone() for name, value in model.state_dict().items()}

    load_checkpoint(model, str(path), map_location='cpu', strict=False)
    after = model.state_dict()

    changed = {name for name in after if not torch.equal(after[name], before[name])}
    backbone = {name for name in after if name.startswith('backbone.')
                and not name.endswith('num_batches_tracked')}
    dam_head = {'temporal_necks.dam.heatmap_layer.weight',
                'temporal_necks.dam.heatmap_layer.bias'}
    assert changed == backbone | dam_head
    for name in backbone:
        torch.testing.assert_close(after[name], ckpt[name])
    torch.testing.assert_close(after['temporal_necks.dam.heatmap_layer.weight'],
                               ckpt['head.final_layer.weight'])
    torch.testing.assert_close(after['temporal_necks.dam.heatmap_layer.bias'],
                               ckpt['head.final_layer.bias'])
    # The video head (which also has a `final_layer`) and every other new layer keep init.
    assert not any(name.startswith('head.') for name in changed)
    assert len(logged) == 1
    assert 'head.final_layer.weight -> temporal_necks.dam.heatmap_layer.weight' in logged[0]
    assert 'model keys left at init' in logged[0] and 'head.final_layer' in logged[0]


def test_video_checkpoint_loads_as_it_is(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(video_topdown, 'print_log', lambda msg, **kw: logged.append(msg))
    source = _build(VIDEO_CONFIGS[1], seed=5)
    path = tmp_path / 'video.pth'
    torch.save(dict(state_dict=source.state_dict(), meta=dict()), path)
    target = _build(VIDEO_CONFIGS[1], seed=6)
    load_checkpoint(target, str(path), map_location='cpu', strict=True)
    for name, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[name], value)
    assert not logged
