from .blocks import BasicBlock, basic_block_chain
from .deform_conv import ModulatedDeformConv2d

__all__ = ['BasicBlock', 'ModulatedDeformConv2d', 'basic_block_chain']
