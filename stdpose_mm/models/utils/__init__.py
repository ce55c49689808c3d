from .blocks import BasicBlock, basic_block_chain
from .deform_conv import ModulatedDeformConv2d, deform_aggregate, multi_dilation_deform_convs
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
    'BasicBlock', 'ModulatedDeformConv2d', 'basic_block_chain', 'deform_aggregate',
    'multi_dilation_deform_convs', 'CrossAttentionBlock',
    'FeedForward', 'MultiHeadAttention', 'SpaceTimeBlock', 'fold_patches',
    'sincos_position_encoding_2d', 'space_time_blocks', 'unfold_patches'
]
