"""The ``'atomic_local'`` MMEngine file backend: local files replaced atomically.

MMEngine 0.10.7 saves a checkpoint by serialising it to memory and handing the bytes to
the file backend of the target path; MMEngine's ``LocalBackend.put`` opens the final path
and writes into it, so a process killed mid-write (SIGKILL, OOM killer, a pre-empted job)
leaves a truncated ``epoch_N.pth`` that ``--resume`` then trips over.

:class:`AtomicLocalBackend` is registered under its own name, ``'atomic_local'``; MMEngine's
``'local'`` backend is left as it is. The configs select it for checkpoints
(``default_hooks.checkpoint.backend_args = dict(backend='atomic_local')`` in
``configs/_base_/default_runtime.py``).
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends import backends

from stdpose_mm.utils.atomic_io import atomic_write_bytes

ATOMIC_LOCAL_BACKEND = 'atomic_local'


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose writes replace files atomically.

    Reads, listing and removal are inherited unchanged; ``put`` and ``put_text`` write
    through :func:`~stdpose_mm.utils.atomic_io.atomic_write_bytes`.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (parent folders are created).

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (parent folders are created).

        Args:
            obj (str): Data to be written.
            filepath (str | Path): Path to write data.
            encoding (str): Text encoding. Defaults to 'utf-8'.
        """
        atomic_write_bytes(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Register :class:`AtomicLocalBackend` as MMEngine's ``'atomic_local'`` backend.

    Idempotent; it adds a name and replaces nothing (no prefix: plain paths keep MMEngine's
    ``LocalBackend`` unless ``backend_args`` names ``'atomic_local'``).
    """
    if backends.get(ATOMIC_LOCAL_BACKEND) is not AtomicLocalBackend:
        # force: a reloaded module re-registers its own name (never a name of MMEngine).
        register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, force=True)


register_atomic_local_backend()
