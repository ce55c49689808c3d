"""High-level APIs: offline pose propagation and video inference."""
from .inferencers import TrackPoseLocalVisualizer, VideoPoseInferencer  # noqa: F401,E402
from .streaming import FrameRingBuffer, TrackFeatureCache, track_window  # noqa: F401,E402
from .tracking import IoUTracker, bbox_iou  # noqa: F401,E402
