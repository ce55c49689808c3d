"""The headline configs build both papers in one chain; the ablation configs remove what
they name."""
import pytest
from mmengine import Config
from mmpose.registry import MODELS

HEADLINE = ['configs/stdpose_hrnet_pt17.py', 'configs/stdpose_hrnet_pt18.py',
            'configs/stdpose_hrnet_pt21.py']
CHAIN = {'dam': 'DynamicAwareMask', 'encoder': 'SpatioTemporalEncoder',
         'motion': 'SemanticMotionEncoder'}


def _cfg(path: str) -> Config:
    from tests.conftest import REPO_ROOT

    return Config.fromfile(str(REPO_ROOT / path))


@pytest.mark.parametrize('path', HEADLINE)
def test_headline_configs_chain_both_papers(path):
    model = _cfg(path).model
    assert {name: stage['type'] for name, stage in model.neck.items() if stage} == CHAIN
    assert model.head.type == 'MutualLearningHead'
    assert model.head.temporal_channels > 0 and model.head.synth_residual


def test_headline_model_builds_at_paper_size():
    model = MODELS.build(_cfg(HEADLINE[0]).model)
    assert [type(neck).__name__ for neck in model.temporal_necks.values()] == list(
        CHAIN.values())
    assert type(model.head).__name__ == 'MutualLearningHead'
    assert model.head.spatial_proj.in_channels == 2 * 48  # key frame + TFF features


def test_paper_size_ablations_remove_one_paper_each():
    stdpose_only = _cfg('configs/ablations/stdpose-only_hrnet_pt17.py').model
    assert 'motion' not in stdpose_only.neck
    assert stdpose_only.head.type == 'SpatioTemporalAggregationHead'
    feng_only = _cfg('configs/ablations/feng-chen-only_hrnet_pt17.py').model
    assert feng_only.neck.encoder is None and not feng_only.neck.dam.use_dam
    assert feng_only.head.temporal_channels == 0 and not feng_only.head.synth_residual


def test_research_configs_resolve_to_concrete_settings():
    """Every model of tools/headline_experiment.py: numbers, not unresolved placeholders."""
    import sys

    from tests.conftest import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    from headline_experiment import MODELS

    for name, path in MODELS.items():
        cfg = _cfg(path)
        assert isinstance(cfg.train_dataloader.batch_size, int), name
        assert isinstance(cfg.train_cfg.max_epochs, int), name
        assert cfg.train_cfg.val_interval >= 1, name
    control = _cfg(MODELS['single-batch80'])
    single = _cfg(MODELS['single'])
    assert control.train_dataloader.batch_size == 5 * single.train_dataloader.batch_size
    assert control.train_cfg.max_epochs == 5 * single.train_cfg.max_epochs
