"""stdpose_mm: video pose estimation in sparsely-labeled videos for MMPose 1.x.

Importing the package registers every component into MMPose's registries (configs load it
with ``custom_imports = dict(imports=['stdpose_mm'])``) and registers the ``'atomic_local'``
MMEngine file backend. What else it changes in MMPose / MMEngine, and why, is listed in
``docs/importing.md`` ("What importing stdpose_mm changes"); each change has a test.

Without torch / MMEngine / MMPose installed, only the numpy-only core imports (PoseTrack
AP, annotation loading, the dataset check, converters, the synthetic generator, atomic IO,
CLI helpers): see :mod:`stdpose_mm.optional_deps`.
"""
import os
import sys

from .optional_deps import OPENMMLAB_INSTALLED
from .version import __version__

# OpenMP threads that spin while waiting at a barrier lose their core to the dataloader
# workers and make a CPU training step up to ~7x slower and erratic; passive waiting
# keeps it steady (docs/benchmarks.md, tools/benchmark_train_loop.py). OpenMP reads this
# once, when torch loads: only set it (if unset) while torch is not loaded yet, as when a
# tool of this project imports the package first.
if OPENMMLAB_INSTALLED and 'torch' not in sys.modules:
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

if OPENMMLAB_INSTALLED:
    from . import apis, datasets, engine, evaluation, models, visualization  # noqa: F401,E402
    from .utils import register_safe_checkpoint_loader  # noqa: E402

    # torch >= 2.6 loads with weights_only=True: MMEngine's local checkpoint loader is
    # replaced by one with our allow-list (docs/importing.md).
    register_safe_checkpoint_loader()

__all__ = ['__version__']
