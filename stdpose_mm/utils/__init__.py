from .atomic_io import AtomicLocalBackend, atomic_write_bytes, register_atomic_local_backend
from .checkpoint import (
                         UnsafeCheckpointError,
                         decode_history_buffers,
                         encode_history_buffers,
                         register_safe_checkpoint_loader,
                         safe_load_checkpoint,
)

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'register_atomic_local_backend',
    'UnsafeCheckpointError', 'decode_history_buffers', 'encode_history_buffers',
    'register_safe_checkpoint_loader', 'safe_load_checkpoint'
]
