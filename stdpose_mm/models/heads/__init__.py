"""Heads of stdpose_mm: MMPose ``HeatmapHead`` subclasses over the video-features dict."""
from .dcpose_head import DCPoseHead
from .spatiotemporal_aggregation_head import SpatioTemporalAggregationHead, VideoHeatmapHead

__all__ = ['DCPoseHead', 'SpatioTemporalAggregationHead', 'VideoHeatmapHead']
