from .blocks import BasicBlock, basic_block_chain
from .deform_conv import ModulatedDeformConv2d
from .transformer_blocks import (
    CrossAttentionBlock,
    FeedForward,
    MultiHeadAttention,
    SpaceTimeBlock,
    fold_patches,
    sincos_position_encoding_2d,
    space_time_blocks,
    unfold_patches,
)

__all__ = [
    'BasicBlock', 'ModulatedDeformConv2d', 'basic_block_chain', 'CrossAttentionBlock',
    'FeedForward', 'MultiHeadAttention', 'SpaceTimeBlock', 'fold_patches',
    'sincos_position_encoding_2d', 'space_time_blocks', 'unfold_patches'
]
