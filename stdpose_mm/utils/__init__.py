from ..optional_deps import OPENMMLAB_INSTALLED, missing_openmmlab
from .atomic_io import atomic_write_bytes, atomic_write_json, atomic_write_text

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'atomic_write_json', 'atomic_write_text',
    'register_atomic_local_backend', 'UnsafeCheckpointError', 'decode_history_buffers',
    'encode_history_buffers', 'register_safe_checkpoint_loader', 'safe_load_checkpoint'
]

if OPENMMLAB_INSTALLED:  # torch checkpoint loading
    from .checkpoint import (
                             UnsafeCheckpointError,
                             decode_history_buffers,
                             encode_history_buffers,
                             register_safe_checkpoint_loader,
                             safe_load_checkpoint,
    )

# Defined in stdpose_mm.engine.fileio (an MMEngine backend); kept importable from here.
_ENGINE_NAMES = ('AtomicLocalBackend', 'register_atomic_local_backend')


def __getattr__(name: str):
    if not OPENMMLAB_INSTALLED:
        raise missing_openmmlab(__name__, name)
    if name in _ENGINE_NAMES:
        from ..engine import fileio
        return getattr(fileio, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
