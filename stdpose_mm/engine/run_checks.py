"""Checks made when a run starts: does the checkpoint fill the model, do the data agree with it.

* :func:`watch_next_load`: what a checkpoint fills is read from the model's own load path
  (MMEngine's ``load_checkpoint`` or torch's ``load_state_dict``, load pre-hooks included,
  e.g. the single-frame head remap of ``VideoTopdownPoseEstimator``): a post-hook on the
  model receives the missing and unexpected keys of the next load. Testing and inference
  refuse a file that leaves model tensors at init (:class:`CheckpointMismatchError`);
  training logs the same one-line summary and goes on (``load_from`` stays non-strict).
* :func:`check_key_frames`: every video dataset of a run puts the key frame where the model
  expects it, checked before the first iteration rather than when the first val epoch
  meets a mismatched batch.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional

from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from ..models.utils.pretrained import summarize_keys

# BatchNorm's counter: a checkpoint without it loads fine (MMEngine ignores it too).
_IGNORED_SUFFIX = 'num_batches_tracked'
# MMEngine's default ``revise_keys`` of ``load_checkpoint``: DDP-wrapped names.
_WRAPPER_PREFIX = 'module.'


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fill the model it is loaded into; the message names the file,
    how many model tensors it fills and which are missing."""


@dataclass
class CheckpointFill:
    """What one load of a checkpoint filled in a model.

    Attributes:
        filename (str): The checkpoint.
        num_model (int): Model tensors (``state_dict()`` keys, BN counters not counted).
        missing (list): Model tensors the load left at init.
        mismatched (list): Model tensors whose checkpoint tensor has another shape (not
            loaded; MMEngine logs them, torch's strict load raises).
        unexpected (list): Checkpoint tensors the model has no place for.
    """
    filename: str
    num_model: int
    missing: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)

    @property
    def num_filled(self) -> int:
        return self.num_model - len(set(self.missing) | set(self.mismatched))

    @property
    def complete(self) -> bool:
        """True when every model tensor was loaded from the file."""
        return self.num_filled == self.num_model

    def summary(self) -> str:
        """One line: tensors filled, missing / mismatched / unused ones grouped by module."""
        text = f'{self.filename} fills {self.num_filled} of {self.num_model} model tensors'
        if self.missing:
            text += (f'; missing (left at init) {len(self.missing)}: '
                     f'{summarize_keys(self.missing)}')
        if self.mismatched:
            text += (f'; shape differs {len(self.mismatched)}: '
                     f'{summarize_keys(self.mismatched)}')
        if self.unexpected:
            text += (f'; unused checkpoint tensors {len(self.unexpected)}: '
                     f'{summarize_keys(self.unexpected)}')
        return text


def checkpoint_state_dict(checkpoint: Mapping) -> Dict[str, Tensor]:
    """The state dict MMEngine loads from a checkpoint: ``checkpoint['state_dict']`` (or
    the whole mapping), with DDP's ``module.`` prefix removed."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    return {(key[len(_WRAPPER_PREFIX):] if key.startswith(_WRAPPER_PREFIX) else key): value
            for key, value in state_dict.items()}


def _shape_mismatches(model: nn.Module, state_dict: Mapping[str, Tensor]) -> List[str]:
    own = model.state_dict()
    return sorted(key for key, value in state_dict.items()
                  if key in own and hasattr(value, 'shape')
                  and tuple(value.shape) != tuple(own[key].shape))


def watch_next_load(model: nn.Module, checkpoint: Mapping, filename: str,
                    on_loaded: Callable[[CheckpointFill], None]) -> RemovableHandle:
    """Report what the model's next ``load_state_dict`` of ``checkpoint`` fills.

    A post-hook on ``model`` (called by torch's and MMEngine's loaders once the whole
    model is loaded, after every load pre-hook has remapped the file's keys) builds a
    :class:`CheckpointFill` and passes it to ``on_loaded``, which may raise to stop the
    run. Only the first load after this call is reported; remove the handle afterwards.

    Args:
        model (nn.Module): The (unwrapped) model about to load ``checkpoint``.
        checkpoint (Mapping): The loaded checkpoint (a dict with ``state_dict`` or a bare
            state dict).
        filename (str): The checkpoint's name, for the messages.
        on_loaded (Callable): Receives the fill of the load.

    Returns:
        RemovableHandle: Removes the post-hook.
    """
    mismatched = _shape_mismatches(model, checkpoint_state_dict(checkpoint))
    num_model = sum(not key.endswith(_IGNORED_SUFFIX) for key in model.state_dict())
    fired = []

    def post_hook(module: nn.Module, incompatible) -> None:
        if fired:
            return
        fired.append(True)
        on_loaded(CheckpointFill(
            filename=filename,
            num_model=num_model,
            missing=[key for key in incompatible.missing_keys
                     if not key.endswith(_IGNORED_SUFFIX)],
            mismatched=mismatched,
            unexpected=list(incompatible.unexpected_keys)))

    return model.register_load_state_dict_post_hook(post_hook)


def refuse_incomplete(fill: CheckpointFill, what: str = 'testing') -> None:
    """Raise :class:`CheckpointMismatchError` unless ``fill`` is complete.

    Args:
        fill (CheckpointFill): The load to judge.
        what (str): What needs a complete model (``'testing'``, ``'inference'``).
    """
    if fill.complete:
        return
    missing = sorted(set(fill.missing) | set(fill.mismatched))
    examples = ', '.join(missing[:5]) + (f', ... {len(missing) - 5} more'
                                         if len(missing) > 5 else '')
    raise CheckpointMismatchError(
        f'refusing {what} with checkpoint {fill.summary()} (e.g. {examples}). It is not a '
        'checkpoint of this model: a file of another model (or a single-frame checkpoint '
        'in a temporal config) leaves these tensors at their random init. Give a '
        'checkpoint trained with this config; to start training from such a file, use '
        'load_from (non-strict) instead.')


# ------------------------------------------------------------------ key frames
def leaf_datasets(dataset) -> Iterator:
    """The datasets inside MMEngine's dataset wrappers (``dataset`` / ``datasets``)."""
    if hasattr(dataset, 'datasets'):
        for sub in dataset.datasets:
            yield from leaf_datasets(sub)
    elif hasattr(dataset, 'dataset'):
        yield from leaf_datasets(dataset.dataset)
    else:
        yield dataset


def check_key_frames(model: nn.Module, datasets: Iterable[tuple]) -> None:
    """Refuse datasets whose key frame position differs from the model's.

    Args:
        model (nn.Module): The unwrapped model; checked only when it has
            ``resolve_key_frame_index`` (``VideoTopdownPoseEstimator``).
        datasets (Iterable[tuple]): ``(name, dataset)`` pairs, e.g. ``('val', dataset)``;
            wrappers are followed, datasets without ``key_frame_index`` are skipped.

    Raises:
        ValueError: Naming the split, the annotation file, both positions and the
            dataset's ``frame_indices``.
    """
    resolve = getattr(model, 'resolve_key_frame_index', None)
    if resolve is None:
        return
    for name, dataset in datasets:
        for leaf in leaf_datasets(dataset):
            given: Optional[int] = getattr(leaf, 'key_frame_index', None)
            num_frames = getattr(leaf, 'num_frames', None)
            if given is None or num_frames is None:
                continue
            expected = resolve(num_frames)
            if given != expected:
                raise ValueError(
                    f'{name} dataset {getattr(leaf, "ann_file", "")}: it puts the key frame '
                    f'at position {given} of {num_frames} frames (frame_indices '
                    f'{getattr(leaf, "frame_indices", "?")}) but the model expects '
                    f'{expected}; align the dataset frame_indices with the model\'s '
                    'key_frame_index (found when the run started)')
