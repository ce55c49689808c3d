"""Keep MMEngine checkpoints loadable with ``torch.load(weights_only=True)``."""
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from stdpose_mm.utils.checkpoint import encode_history_buffers


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Store the message hub's ``HistoryBuffer`` objects as plain arrays.

    MMEngine pickles ``HistoryBuffer`` through ``builtins.getattr``, which a safe
    (``weights_only``) load must refuse. This hook rewrites them into dicts of numpy arrays
    just before a checkpoint is written; :func:`stdpose_mm.utils.safe_load_checkpoint`
    restores them on resume. It is on in every stdpose_mm config (``custom_hooks``).
    """

    priority = 'VERY_LOW'  # after any hook that adds to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        encode_history_buffers(checkpoint)
