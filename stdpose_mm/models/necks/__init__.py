"""Necks of stdpose_mm: each takes the video-features dict and returns it with more keys."""
from .dynamic_aware_mask import DynamicAwareMask
from .neighbour_pose_encoder import NeighbourPoseEncoder
from .semantic_motion_encoder import SemanticMotionEncoder
from .source_pose_encoder import SourcePoseEncoder
from .spatiotemporal_encoder import SpatioTemporalEncoder
from .temporal_feature_fusion import TemporalFeatureFusion
from .temporal_keypoint_synthesis import TemporalKeypointSynthesis

__all__ = [
    'DynamicAwareMask', 'NeighbourPoseEncoder', 'SemanticMotionEncoder', 'SourcePoseEncoder',
    'SpatioTemporalEncoder', 'TemporalFeatureFusion', 'TemporalKeypointSynthesis'
]
