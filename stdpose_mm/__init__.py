"""stdpose_mm: video pose estimation in sparsely-labeled videos for MMPose 1.x.

Importing the package registers every component into MMPose's registries (configs load it
with ``custom_imports = dict(imports=['stdpose_mm'])``) and makes MMEngine load local
checkpoints with ``torch.load(weights_only=True)`` and the project's allow-list.
"""
from . import apis, datasets, engine, evaluation, models  # noqa: F401,E402
from .utils import register_atomic_local_backend, register_safe_checkpoint_loader
from .version import __version__

register_safe_checkpoint_loader()
register_atomic_local_backend()  # checkpoints are replaced atomically, never torn

__all__ = ['__version__']
