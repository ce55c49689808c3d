"""stdpose_mm: video pose estimation in sparsely-labeled videos for MMPose 1.x.

Importing the package registers every component into MMPose's registries (configs load it
with ``custom_imports = dict(imports=['stdpose_mm'])``), makes MMEngine load local
checkpoints with ``torch.load(weights_only=True)`` and the project's allow-list, and, when
it is imported before torch, sets ``OMP_WAIT_POLICY=PASSIVE`` if it is unset (README,
"What importing stdpose_mm changes").
"""
import os
import sys

# OpenMP threads that spin while waiting at a barrier lose their core to the dataloader
# workers and make a CPU training step up to ~7x slower and erratic; passive waiting
# keeps it steady (docs/benchmarks.md, tools/benchmark_train_loop.py). OpenMP reads this
# once, when torch loads: only set it (if unset) while torch is not loaded yet, as when a
# tool of this project imports the package first.
if 'torch' not in sys.modules:
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from . import apis, datasets, engine, evaluation, models  # noqa: F401,E402
from .utils import register_atomic_local_backend, register_safe_checkpoint_loader
from .version import __version__

register_safe_checkpoint_loader()
register_atomic_local_backend()  # checkpoints are replaced atomically, never torn

__all__ = ['__version__']
