"""Visualizers (MMPose's ``VISUALIZERS`` registry)."""
from .track_pose_local_visualizer import TrackPoseLocalVisualizer

__all__ = ['TrackPoseLocalVisualizer']
