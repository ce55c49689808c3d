"""High-level APIs: offline pose propagation, labelling plans and video inference."""
from .frame_selection import (  # noqa: F401,E402
    ErrorModel,
    FramePick,
    baseline_picks,
    labelling_plan,
)
from .inferencers import TrackPoseLocalVisualizer, VideoPoseInferencer  # noqa: F401,E402
from .labelling_plan_io import (  # noqa: F401,E402
    PLAN_KEY,
    format_plan_table,
    model_poses_from_config,
    plan_json,
    read_plan,
    suggest_frames,
)
from .labelling_retrain import (  # noqa: F401,E402
    retrain_options,
    retrain_policies,
    write_policy_labels,
)
from .labelling_simulation import (  # noqa: F401,E402
    POLICIES,
    picks_for_policy,
    pseudo_label_ap,
    simulate_labelling,
    with_picks,
)
from .model_propagators import BidirectionalPropagator, ModelPropagator  # noqa: F401,E402
from .propagate_config import (  # noqa: F401,E402
    build_model_propagator,
    propagate_from_config,
    resolve_setup,
)
from .propagation import (  # noqa: F401,E402
    evaluate_pseudo_labels,
    plan_propagation,
    propagation_json,
    run_baseline,
)
from .pseudo_label_writer import (  # noqa: F401,E402
    PropagationOutputExists,
    PropagationRunMismatch,
    write_pseudo_labels,
)
from .streaming import CropFeatureCache, clamped_window  # noqa: F401,E402
from .tracking import IoUTracker, bbox_iou  # noqa: F401,E402
