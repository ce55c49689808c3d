"""Atomic local file writes for MMEngine (checkpoints above all).

MMEngine 0.10.7 saves a checkpoint by serialising it to memory and handing the bytes to
the file backend of the target path: ``get_file_backend(path, backend_args)`` returns
``backends['local']`` when ``backend_args=dict(backend='local')`` (MMPose's runtime sets
this) and ``prefix_to_backends['']`` for a plain path with ``backend_args=None``; both are
:class:`mmengine.fileio.LocalBackend`, whose ``put`` opens the final path and writes into
it. A process killed mid-write (SIGKILL, OOM killer, a pre-empted job) leaves a truncated
``epoch_N.pth`` that ``--resume`` then trips over.

:func:`register_atomic_local_backend` replaces both registrations with
:class:`AtomicLocalBackend`: identical except that ``put`` / ``put_text`` write a temporary
file in the same folder, ``fsync`` it and ``os.replace`` it onto the target, so the target
is always either the complete old file or the complete new one. Importing ``stdpose_mm``
installs it.

MMEngine's ``last_checkpoint`` pointer file, which ``CheckpointHook`` writes with a plain
``open(..., 'w')`` (not through a backend), is covered by rebinding the name ``open`` in
``mmengine.hooks.checkpoint_hook`` only (:func:`atomic_open`: text writes there go through a
temporary file and ``os.replace`` on close; reads are the builtin ``open``). Not covered: the
deprecated ``file_client_args`` path (``FileClient``'s own registry).

A process killed mid-write leaves its temporary file (``.<name>.<pid>.<hex>.tmp``) behind;
:func:`remove_stale_temp_files` deletes those whose writing process is gone
(``SafeCheckpointHook`` runs it on the work dir when a run starts or resumes).
"""
import builtins
import io
import os
import os.path as osp
import re
import secrets
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend


def _fsync_dir(dirname: str) -> None:
    """Make a rename in ``dirname`` durable (best effort: not every OS/fs allows it)."""
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# The temporary file name of :func:`atomic_write_bytes`: ``.<target name>.<pid>.<8 hex>.tmp``.
_TEMP_NAME = re.compile(r'^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})\.tmp$')


def _temp_path(target: str) -> str:
    return osp.join(osp.dirname(target), f'.{osp.basename(target)}.{os.getpid()}.'
                    f'{secrets.token_hex(4)}.tmp')


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 probes only)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except (OverflowError, OSError):
        return False
    return True


def remove_stale_temp_files(folder: Union[str, Path]) -> List[str]:
    """Delete the temporary files of :func:`atomic_write_bytes` left by dead processes.

    Only files named like its temporaries (``.<name>.<pid>.<8 hex digits>.tmp``) whose
    ``pid`` is no running process are removed; a write in progress (its process alive,
    this one included) is left alone. A folder that does not exist holds nothing stale.

    Args:
        folder (str | Path): The folder to clean (not recursive).

    Returns:
        list: Paths of the removed files.
    """
    folder = os.fspath(folder)
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for name in sorted(names):
        match = _TEMP_NAME.match(name)
        if match is None or _pid_alive(int(match.group('pid'))):
            continue
        path = osp.join(folder, name)
        try:
            if osp.isfile(path) and not osp.islink(path):
                os.remove(path)
                removed.append(path)
        except FileNotFoundError:  # another process cleaned it first
            continue
    return removed


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers see the old or the new file, never half.

    The bytes go to a hidden temporary file in the target's folder (same file system, so
    the final rename is atomic), which is flushed and fsynced before ``os.replace``. On any
    error (including ``KeyboardInterrupt``) the temporary file is removed and the target is
    left untouched. A symlinked target is resolved, so the link keeps pointing at the
    updated file as it did with a plain ``open(path, 'wb')``.

    Args:
        data (bytes): The complete new content.
        filepath (str | Path): Destination path; missing parent folders are created.
    """
    target = osp.realpath(os.fspath(filepath))
    dirname = osp.dirname(target)
    os.makedirs(dirname, exist_ok=True)
    tmp_path = _temp_path(target)
    # 0o666 through os.open honours the umask, i.e. the mode a plain open() would give
    # (mkstemp would make it 0o600); an existing file's mode is carried over below.
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if osp.exists(target):
            os.chmod(tmp_path, os.stat(target).st_mode & 0o7777)
        os.replace(tmp_path, target)
    except BaseException:
        try:
            os.remove(tmp_path)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(dirname)


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose writes replace files atomically.

    Reads, listing and removal are inherited unchanged; ``put`` and ``put_text`` write
    through :func:`atomic_write_bytes`.
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


class _AtomicTextWriter(io.StringIO):
    """A text file opened for writing whose content replaces the target on ``close``."""

    def __init__(self, path: Union[str, Path], encoding: str = 'utf-8') -> None:
        super().__init__()
        self.path = path
        self._text_encoding = encoding
        self._failed = False

    def __exit__(self, exc_type, exc, traceback):
        self._failed = exc_type is not None  # an error mid-write keeps the old file
        return super().__exit__(exc_type, exc, traceback)

    def close(self) -> None:
        if not self.closed and not self._failed:
            atomic_write_bytes(self.getvalue().encode(self._text_encoding), self.path)
        super().close()


def atomic_open(file, mode: str = 'r', *args, **kwargs):
    """``open`` whose plain text writes (``'w'``) replace the file atomically on close.

    Every other mode is the builtin ``open``. Installed as ``open`` of
    ``mmengine.hooks.checkpoint_hook`` only, for the ``last_checkpoint`` pointer file.
    """
    if mode in ('w', 'wt') and not args and set(kwargs) <= {'encoding'}:
        return _AtomicTextWriter(file, kwargs.get('encoding') or 'utf-8')
    return builtins.open(file, mode, *args, **kwargs)


def register_atomic_local_backend() -> None:
    """Make MMEngine's ``local`` backend (name ``'local'``, prefix ``''``) atomic.

    Idempotent. Backend instances MMEngine cached before this call (``mmengine.fileio``'s
    singleton cache, used by ``mmengine.put`` / ``dump``) are dropped so that they are
    rebuilt from the new class.
    """
    from mmengine.fileio import io as fileio_io
    from mmengine.fileio import register_backend
    from mmengine.hooks import checkpoint_hook

    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    checkpoint_hook.open = atomic_open  # the last_checkpoint pointer file
    for key, instance in list(fileio_io.backend_instances.items()):
        if type(instance) is LocalBackend:
            del fileio_io.backend_instances[key]
