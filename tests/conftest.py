"""Shared fixtures: the real PoseTrack18 sample (skipped when absent) and tiny synthetic sets."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO_ROOT.parent / 'shared' / 'data' / 'posetrack18_sample'


@pytest.fixture(scope='session')
def real_sample() -> Path:
    """The real PoseTrack18 val sample from ``../shared`` (3 videos, 1 frame each)."""
    if not (SHARED_SAMPLE / 'annotations').is_dir():
        pytest.skip(f'real PoseTrack18 sample not found at {SHARED_SAMPLE}')
    return SHARED_SAMPLE


@pytest.fixture(scope='session')
def tiny_posetrack(tmp_path_factory) -> Path:
    """A tiny synthetic PoseTrack18-layout set: 2 train + 1 val video of 8 frames."""
    from stdpose_mm.datasets.synthetic import generate_posetrack

    out_dir = tmp_path_factory.mktemp('tiny_posetrack')
    generate_posetrack(
        str(out_dir), num_videos={'train': 2, 'val': 1}, num_frames=8,
        image_size=(160, 120), label_stride=1, seed=0)
    return out_dir


@pytest.fixture(scope='session', autouse=True)
def mmpose_scope():
    """Build components from the mmpose registries, as configs do (default_scope)."""
    from mmpose.utils import register_all_modules

    import stdpose_mm  # noqa: F401

    register_all_modules(init_default_scope=True)
