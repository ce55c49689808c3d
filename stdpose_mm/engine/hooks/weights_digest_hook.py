"""Write a digest of the model's weights per rank, to check that replicas agree."""
import hashlib
import os.path as osp
from typing import Dict, Mapping, Optional

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


def tensor_digest(tensor: torch.Tensor) -> str:
    """SHA-256 of a tensor's dtype, shape and raw bytes (any dtype, bfloat16 included)."""
    data = tensor.detach().cpu().contiguous().reshape(-1)
    digest = hashlib.sha256(f'{data.dtype}:{tuple(tensor.shape)}:'.encode())
    # A uint8 view gives the exact bytes without a numpy dtype for every torch dtype.
    digest.update(data.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def state_dict_digest(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, str]:
    """Digests of a state dict: one per tensor and ``'__all__'`` over all of them.

    The same function applies to a live model (``model.state_dict()``) and to a checkpoint's
    ``'state_dict'``, so a rank's digest can be compared with a saved file.

    Args:
        state_dict (Mapping[str, Tensor]): Parameters and buffers by name.

    Returns:
        dict: ``{'__all__': hex, name: hex, ...}`` with names in sorted order.
    """
    per_tensor = {name: tensor_digest(state_dict[name]) for name in sorted(state_dict)}
    total = hashlib.sha256()
    for name, digest in per_tensor.items():
        total.update(f'{name}={digest};'.encode())
    return {'__all__': total.hexdigest(), **per_tensor}


@HOOKS.register_module()
class WeightsDigestHook(Hook):
    """After training, every rank writes a digest of its weights and buffers.

    Data-parallel replicas must end with identical parameters and, once
    ``SyncBuffersHook`` has averaged them, identical buffers (BatchNorm statistics). This
    hook makes that checkable: rank ``R`` writes ``weights_digest_rank{R}.txt`` to the work
    dir (first line: the digest over all tensors; then one ``name digest`` line per tensor,
    to find the tensors that differ) and logs the total digest. The digests equal
    :func:`state_dict_digest` of the checkpoint saved from the same weights.

    Args:
        out_dir (str, optional): Folder of the files; defaults to the runner's work dir.
        filename_tmpl (str): File name, formatted with the rank.
            Defaults to ``'weights_digest_rank{}.txt'``.
    """

    priority = 'LOWEST'  # after SyncBuffersHook and anything else that changes weights

    def __init__(self,
                 out_dir: Optional[str] = None,
                 filename_tmpl: str = 'weights_digest_rank{}.txt') -> None:
        self.out_dir = out_dir
        self.filename_tmpl = filename_tmpl

    def after_train(self, runner) -> None:
        """Write this rank's digest file.

        Args:
            runner (Runner): The runner of the training process.
        """
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        digests = state_dict_digest(model.state_dict())
        rank = get_rank()
        path = osp.join(self.out_dir or runner.work_dir, self.filename_tmpl.format(rank))
        lines = [digests.pop('__all__')] + [f'{name} {hexdigest}'
                                            for name, hexdigest in digests.items()]
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        runner.logger.info(f'rank {rank} weights digest {lines[0]} ({len(digests)} tensors) '
                           f'-> {path}')
