"""Atomic file writes: readers see the old file or the new one, never half of one.

:func:`atomic_write_bytes` (and :func:`atomic_write_text` / :func:`atomic_write_json` on top
of it) write a hidden temporary file in the target's folder, ``fsync`` it and ``os.replace``
it onto the target. This is the one atomic writer of the project: checkpoints (through
:class:`~stdpose_mm.engine.fileio.AtomicLocalBackend`, the MMEngine file backend named
``'atomic_local'`` that the configs select), pseudo-labels, detections, converted and
synthetic annotations, tool outputs.

A process killed mid-write leaves its temporary file (``.<name>.<pid>.<hex>.tmp``) behind;
:func:`remove_stale_temp_files` deletes those whose writing process is gone
(``SafeCheckpointHook`` runs it on the work dir when a run starts or resumes).

Pure Python: no numpy, torch or MMEngine import.
"""
import json
import os
import os.path as osp
import re
import secrets
from pathlib import Path
from typing import Any, List, Union


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


def atomic_write_bytes(data: bytes, filepath: Union[str, Path], durable: bool = True) -> None:
    """Write ``data`` to ``filepath`` so that readers see the old or the new file, never half.

    The bytes go to a hidden temporary file in the target's folder (same file system, so
    the final rename is atomic), which is flushed and fsynced before ``os.replace``. On any
    error (including ``KeyboardInterrupt``) the temporary file is removed and the target is
    left untouched. A symlinked target is resolved, so the link keeps pointing at the
    updated file as it did with a plain ``open(path, 'wb')``.

    Args:
        data (bytes): The complete new content.
        filepath (str | Path): Destination path; missing parent folders are created.
        durable (bool): ``fsync`` the file and its folder, so that the new content survives
            a power loss too. False skips both (still atomic for readers and for a killed
            process): for many small files that can be made again, such as rendered
            frames. Defaults to True.
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
            if durable:
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
    if durable:
        _fsync_dir(dirname)


def atomic_write_text(text: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded with ``encoding``."""
    atomic_write_bytes(text.encode(encoding), filepath)


def atomic_write_json(obj: Any, filepath: Union[str, Path], **dumps_kwargs) -> None:
    """:func:`atomic_write_bytes` of ``json.dumps(obj, **dumps_kwargs)`` (UTF-8).

    Args:
        obj: A json-serialisable object.
        filepath (str | Path): Destination path; missing parent folders are created.
        **dumps_kwargs: Passed to :func:`json.dumps` (``indent``, ``allow_nan`` ...).
    """
    atomic_write_bytes(json.dumps(obj, **dumps_kwargs).encode('utf-8'), filepath)
