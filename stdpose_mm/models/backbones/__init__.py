"""Backbones of stdpose_mm (MMPose's own are used as they are)."""
from .upsampled_vision_transformer import UpsampledVisionTransformer

__all__ = ['UpsampledVisionTransformer']
