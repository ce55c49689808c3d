"""Checkpoint loading that keeps ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: only tensors, containers
and allow-listed globals are rebuilt. MMEngine checkpoints carry numpy arrays and scalars
(dataset meta, message hub) and, in resume checkpoints, MMEngine ``HistoryBuffer`` objects,
which are pickled through ``builtins.getattr``. Allow-listing ``getattr`` would let a
crafted file reach any attribute of any allowed object, so instead:

* the numpy globals MMEngine checkpoints need are allow-listed (exactly those);
* :class:`~stdpose_mm.engine.hooks.SafeCheckpointHook` stores every ``HistoryBuffer`` as a
  plain dict of arrays before a checkpoint is written (:func:`encode_history_buffers`), and
  :func:`safe_load_checkpoint` turns them back into ``HistoryBuffer`` after loading.

Anything else in a file is refused with :class:`UnsafeCheckpointError`, naming the file
(and never suggesting to turn ``weights_only`` off). A truncated or empty file (a copy or
a write cut short) raises :class:`TruncatedCheckpointError`, naming the file.
"""
import os
import pickle
import re
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np
import torch

HISTORY_BUFFER_KEY = '__stdpose_history_buffer__'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint holds objects outside the allow-list."""


class TruncatedCheckpointError(RuntimeError):
    """Raised when a checkpoint file is empty or cut short; the message names the file."""


# torch's own messages for a file that ends too early: a zip checkpoint without its
# central directory (or with a short record), a legacy pickle that runs out of input.
_TRUNCATED_PATTERNS = ('PytorchStreamReader failed', 'Ran out of input',
                       'pickle data was truncated', 'unexpected EOF', 'file too short')


_ZIP_LOCAL_HEADER = b'PK\x03\x04'
_ZIP_END_OF_DIRECTORY = b'PK\x05\x06'
# The end-of-central-directory record (22 bytes + a comment of up to 64 KiB) ends a zip.
_ZIP_TAIL_BYTES = 22 + 65535


def _zip_cut_short(filename: str) -> bool:
    """An empty file, or a zip (torch's format) without its end-of-directory record."""
    try:
        size = os.path.getsize(filename)
        if size == 0:
            return True
        with open(filename, 'rb') as f:
            if f.read(4) != _ZIP_LOCAL_HEADER:
                return False
            f.seek(max(0, size - _ZIP_TAIL_BYTES))
            return _ZIP_END_OF_DIRECTORY not in f.read()
    except (OSError, TypeError):  # not a local path (a buffer, a URL): cannot tell
        return False


def _is_truncation(err: BaseException, filename: str) -> bool:
    if isinstance(err, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return False
    return isinstance(err, EOFError) or any(p in str(err) for p in _TRUNCATED_PATTERNS) \
        or _zip_cut_short(filename)


def _refusal_detail(message: str) -> str:
    """What torch refused, without its advice (turning weights_only off, allow-listing)."""
    match = re.search(r'GLOBAL\s+([\w.]+)', message)
    if match:
        return f'unsupported global {match.group(1)}'
    match = re.search(r'WeightsUnpickler error:\s*([^.\n]*)', message)
    if match and match.group(1).strip():
        return match.group(1).strip()
    return 'an object the safe unpickler does not allow'


def _numpy_globals() -> List[Any]:
    """Numpy globals pickled into MMEngine checkpoints (arrays, scalars, dtypes)."""
    allowed: List[Any] = [np.ndarray, np.dtype]
    # numpy >= 2 pickles through ``numpy._core``; files written with numpy 1 name
    # ``numpy.core``. Allow both spellings of the same two functions.
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        for func_name in ('_reconstruct', 'scalar'):
            allowed.append((getattr(module, func_name), f'{module_name}.{func_name}'))
    # Each dtype has its own class in ``numpy.dtypes`` (numpy >= 1.25).
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:
        allowed.extend(
            cls for cls in vars(dtypes_module).values()
            if isinstance(cls, type) and issubclass(cls, np.dtype))
    return allowed


def safe_globals() -> List[Any]:
    """The complete allow-list passed to :func:`torch.serialization.safe_globals`."""
    return _numpy_globals()


def encode_history_buffers(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """Replace MMEngine ``HistoryBuffer`` objects in ``checkpoint['message_hub']``.

    Args:
        checkpoint (dict): A checkpoint dict about to be saved; changed in place.

    Returns:
        dict: The same dict, with every buffer stored as a plain dict of arrays.
    """
    from mmengine.logging import HistoryBuffer

    message_hub = checkpoint.get('message_hub')
    if not isinstance(message_hub, dict):
        return checkpoint
    log_scalars = message_hub.get('log_scalars', {})
    for key, buffer in list(log_scalars.items()):
        if isinstance(buffer, HistoryBuffer):
            log_history, count_history = buffer.data
            log_scalars[key] = {
                HISTORY_BUFFER_KEY: True,
                'log_history': np.asarray(log_history),
                'count_history': np.asarray(count_history),
                'max_length': int(buffer.max_length),
            }
    return checkpoint


def decode_history_buffers(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """Inverse of :func:`encode_history_buffers`; changes ``checkpoint`` in place."""
    message_hub = checkpoint.get('message_hub') if isinstance(checkpoint, dict) else None
    if not isinstance(message_hub, dict):
        return checkpoint
    from mmengine.logging import HistoryBuffer

    log_scalars = message_hub.get('log_scalars', {})
    for key, value in list(log_scalars.items()):
        if isinstance(value, dict) and value.get(HISTORY_BUFFER_KEY):
            log_scalars[key] = HistoryBuffer(
                log_history=list(value['log_history']),
                count_history=list(value['count_history']),
                max_length=value['max_length'])
    return checkpoint


def safe_load_checkpoint(filename: str,
                         map_location: Optional[Union[str, torch.device,
                                                      Callable]] = None) -> Any:
    """Load a checkpoint with ``weights_only=True`` and the project's allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Passed to :func:`torch.load`.

    Returns:
        The unpickled checkpoint, with message-hub buffers restored.

    Raises:
        UnsafeCheckpointError: The file holds a global outside the allow-list.
        TruncatedCheckpointError: The file is empty or cut short.
    """
    try:
        with torch.serialization.safe_globals(safe_globals()):
            checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except (EOFError, OSError, RuntimeError, pickle.UnpicklingError) as err:
        # torch reports a file cut short as EOFError, RuntimeError (PytorchStreamReader,
        # "unexpected EOF") or OSError (EINVAL), depending on where it ends.
        if _is_truncation(err, filename):
            size = _file_size(filename)
            raise TruncatedCheckpointError(
                f'checkpoint {filename!r} is truncated ({size}): the file ends before its '
                'data does (an interrupted write or copy). Use another checkpoint (e.g. '
                'the previous epoch_N.pth) or copy the file again.') from None
        if not isinstance(err, pickle.UnpicklingError):
            raise
        # torch's message advises turning weights_only off, which we never do.
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename!r}: it holds an object outside the '
            f'allow-list of stdpose_mm.utils.checkpoint ({_refusal_detail(str(err))}). Only '
            'load checkpoints written by MMEngine runs with SafeCheckpointHook, or plain '
            'state dicts.') from None
    return decode_history_buffers(checkpoint)


def _file_size(filename: str) -> str:
    try:
        return f'{os.path.getsize(filename)} bytes'
    except (OSError, TypeError):
        return 'size unknown'


def _load_from_local(filename: str, map_location=None) -> Any:
    """Drop-in for MMEngine's local-file loader (scheme prefix ``''``)."""
    import os.path as osp

    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_load_checkpoint(filename, map_location=map_location)


def register_safe_checkpoint_loader() -> None:
    """Make MMEngine load every local checkpoint through :func:`safe_load_checkpoint`.

    MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; with torch >= 2.6 that
    means ``weights_only=True`` and no allow-list, so its checkpoints fail to load. The
    loader is replaced for local files only (``''`` and ``local://`` handle the same way).
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(prefixes='', force=True)(_load_from_local)
