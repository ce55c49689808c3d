"""High-level APIs: offline pose propagation and video inference."""
from .inferencers import TrackPoseLocalVisualizer, VideoPoseInferencer  # noqa: F401,E402
from .model_propagators import BidirectionalPropagator, ModelPropagator  # noqa: F401,E402
from .propagate_config import propagate_from_config  # noqa: F401,E402
from .pseudo_label_writer import (  # noqa: F401,E402
    PropagationOutputExists,
    PropagationRunMismatch,
    write_pseudo_labels,
)
from .streaming import CropFeatureCache, clamped_window  # noqa: F401,E402
from .tracking import IoUTracker, bbox_iou  # noqa: F401,E402
