"""Single-frame top-down checkpoints (MMPose's COCO models) loaded into a video model."""
from collections import Counter
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from torch import Tensor, nn

# Name of the attribute by which a neck stage (or the backbone) declares which layers of a
# single-frame ``HeatmapHead`` it can take: ``{single-frame head layer: its own layer}``.
HEAD_LAYER_MAP_ATTR = 'single_frame_head_layers'


def single_frame_head_targets(necks: Mapping[str, nn.Module],
                              backbone: Optional[nn.Module] = None) -> List[Tuple[str, str]]:
    """Where each single-frame head layer goes, from the modules' declarations.

    Args:
        necks (Mapping[str, nn.Module]): The estimator's ``temporal_necks`` by stage name.
        backbone (nn.Module, optional): The estimator's backbone; a backbone that runs part
            of the single-frame head per frame (ViTPose's deconvolutions in
            ``UpsampledVisionTransformer``) declares it too, and comes first.

    Returns:
        list: ``(head layer, model layer)`` pairs, e.g. ``('final_layer',
        'temporal_necks.dam.heatmap_layer')``; the first module declaring a layer takes it.
    """
    modules = [('backbone', backbone)] if backbone is not None else []
    modules += [(f'temporal_necks.{stage}', neck) for stage, neck in necks.items()]
    targets: Dict[str, str] = {}
    for name, module in modules:
        for head_layer, own_layer in getattr(module, HEAD_LAYER_MAP_ATTR, {}).items():
            targets.setdefault(head_layer, f'{name}.{own_layer}')
    return list(targets.items())


def is_single_frame_checkpoint(state_dict: Mapping[str, Tensor], prefix: str) -> bool:
    """A top-down single-frame layout: ``head.*`` tensors but no ``temporal_necks.*``."""
    has_head = any(key.startswith(prefix + 'head.') for key in state_dict)
    has_necks = any(key.startswith(prefix + 'temporal_necks.') for key in state_dict)
    return has_head and not has_necks


def remap_single_frame_head(state_dict: Dict[str, Tensor], prefix: str,
                            model_state: Mapping[str, Tensor],
                            targets: Iterable[Tuple[str, str]]) -> Dict[str, List[str]]:
    """Move a single-frame head's tensors to the video model's per-frame heatmap stage.

    The single-frame head's layers have the names of the video head's own layers
    (``head.final_layer`` in both), so a plain non-strict load would put COCO's per-frame
    heatmap layer into the key-frame head and leave the DAM's per-frame head random. Here
    every ``head.<layer>.*`` tensor named in ``targets`` moves to its model layer when the
    shapes agree; every other ``head.*`` tensor is removed, so the video head keeps its
    designed init. The backbone (same names in both) is left as it is. Edits
    ``state_dict`` in place.

    Args:
        state_dict (dict): The checkpoint's state dict, as torch's load pre-hooks see it.
        prefix (str): The estimator's prefix in ``state_dict`` ('' at the top level).
        model_state (Mapping[str, Tensor]): The estimator's own ``state_dict()``
            (names without ``prefix``).
        targets (Iterable[tuple]): ``(head layer, model layer)`` pairs from
            :func:`single_frame_head_targets`.

    Returns:
        dict: ``mapped`` (``'old -> new'`` strings) and ``dropped`` (head keys removed
        because no layer takes them or the shapes differ).
    """
    mapped, dropped = [], []
    for key in [k for k in state_dict if k.startswith(prefix + 'head.')]:
        tensor = state_dict.pop(key)
        name = key[len(prefix + 'head.'):]
        new_name = None
        for head_layer, model_layer in targets:
            if name.startswith(head_layer + '.'):
                new_name = model_layer + name[len(head_layer):]
                break
        target = model_state.get(new_name) if new_name else None
        if target is not None and tuple(target.shape) == tuple(tensor.shape):
            state_dict[prefix + new_name] = tensor
            mapped.append(f'head.{name} -> {new_name}')
        else:
            dropped.append(f'head.{name}')
    return dict(mapped=mapped, dropped=dropped)


def summarize_keys(keys: Iterable[str], depth: int = 2) -> str:
    """``'backbone.stage4 (120), head.final_layer (2)'``: keys counted by their first parts."""
    counts = Counter('.'.join(key.split('.')[:depth]) for key in keys)
    if not counts:
        return 'none'
    return ', '.join(f'{group} ({count})' for group, count in sorted(counts.items()))


def load_summary(state_dict: Mapping[str, Tensor], prefix: str,
                 model_state: Mapping[str, Tensor], remapped: Dict[str, List[str]]) -> str:
    """One line on what a single-frame checkpoint fills in the video model.

    Args:
        state_dict (Mapping[str, Tensor]): The checkpoint after :func:`remap_single_frame_head`.
        prefix (str): The estimator's prefix in ``state_dict``.
        model_state (Mapping[str, Tensor]): The estimator's own ``state_dict()``.
        remapped (dict): What :func:`remap_single_frame_head` returned.

    Returns:
        str: Tensors loaded (and how many were remapped), checkpoint keys unused and model
        keys left at init, grouped by module.
    """
    names = {key[len(prefix):]: value for key, value in state_dict.items()
             if key.startswith(prefix)}
    loaded = [name for name, value in names.items()
              if name in model_state and tuple(model_state[name].shape) == tuple(value.shape)]
    # Same name, other shape: a module's own load hook may adapt it (mmpretrain's ViT
    # resizes ``pos_embed`` to its input size and drops a class-token position); otherwise
    # MMEngine's loader reports the mismatch.
    reshaped = sorted(name for name in names if name in model_state and name not in loaded)
    unused = sorted(set(names) - set(loaded) - set(reshaped)) + remapped['dropped']
    at_init = sorted(name for name in model_state if name not in set(loaded) | set(reshaped)
                     and not name.endswith('num_batches_tracked'))
    return (f'single-frame checkpoint -> video model: {len(loaded)} of {len(model_state)} '
            f'tensors loaded ({len(remapped["mapped"])} head tensors remapped: '
            f'{"; ".join(remapped["mapped"]) or "none"}); other shape, left to their '
            f'module: {", ".join(reshaped) or "none"}; unused checkpoint keys: '
            f'{summarize_keys(unused)}; model keys left at init: {summarize_keys(at_init)}')
