from .safe_checkpoint_hook import SafeCheckpointHook
from .weights_digest_hook import WeightsDigestHook, state_dict_digest

__all__ = ['SafeCheckpointHook', 'WeightsDigestHook', 'state_dict_digest']
