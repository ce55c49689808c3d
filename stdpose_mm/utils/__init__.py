from .checkpoint import (
                         UnsafeCheckpointError,
                         decode_history_buffers,
                         encode_history_buffers,
                         register_safe_checkpoint_loader,
                         safe_load_checkpoint,
)

__all__ = [
    'UnsafeCheckpointError', 'decode_history_buffers', 'encode_history_buffers',
    'register_safe_checkpoint_loader', 'safe_load_checkpoint'
]
