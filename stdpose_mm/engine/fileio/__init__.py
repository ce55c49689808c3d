from .atomic_local_backend import (
    ATOMIC_LOCAL_BACKEND,
    AtomicLocalBackend,
    register_atomic_local_backend,
)

__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'register_atomic_local_backend']
