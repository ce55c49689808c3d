"""Heads of stdpose_mm: MMPose ``HeatmapHead`` subclasses over the video-features dict."""
from .dcpose_head import DCPoseHead
from .mutual_learning_head import MutualLearningHead
from .prior_residual_head import PriorResidualHead
from .spatiotemporal_aggregation_head import SpatioTemporalAggregationHead
from .video_heatmap_head import VideoHeatmapHead

__all__ = [
    'DCPoseHead', 'MutualLearningHead', 'PriorResidualHead', 'SpatioTemporalAggregationHead',
    'VideoHeatmapHead'
]
