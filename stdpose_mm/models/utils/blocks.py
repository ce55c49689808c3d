"""Convolution blocks shared by the video heads."""
from torch import Tensor, nn


class BasicBlock(nn.Module):
    """ResNet basic block (3x3 conv-BN-ReLU, 3x3 conv-BN, + shortcut, ReLU).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels; a 1x1 conv-BN shortcut is used if different.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.shortcut = nn.Identity() if in_channels == out_channels else nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.shortcut(x) + self.body(x))


def basic_block_chain(in_channels: int, out_channels: int, num_blocks: int) -> nn.Sequential:
    """DCPose's ``ChainOfBasicBlocks``: ``num_blocks`` (>= 1) basic blocks, the first one
    changing the width from ``in_channels`` to ``out_channels``."""
    if num_blocks < 1:
        raise ValueError(f'num_blocks must be >= 1, got {num_blocks}')
    return nn.Sequential(
        BasicBlock(in_channels, out_channels),
        *[BasicBlock(out_channels, out_channels) for _ in range(num_blocks - 1)])
