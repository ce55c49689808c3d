"""Three small hooks that make MMPose's own inferencer serve the video models.

Installed once by ``import stdpose_mm`` (:func:`install_mmpose_hooks`); all leave MMPose's
behaviour unchanged for every model that is not a :class:`VideoTopdownPoseEstimator`.
``docs/importing.md`` lists them with every other change the import makes, and
``tests/test_importing.py`` fails if MMPose moves a name they rely on.

1. ``MMPoseInferencer(pose2d=<video config>, ...)``: ``MMPoseInferencer.__init__`` builds
   its 2D inferencer by calling the name ``Pose2DInferencer`` of its own module
   (``mmpose.apis.inferencers.mmpose_inferencer``). That one name is rebound to
   :func:`dispatch_pose2d_inferencer`, which builds a
   :class:`~stdpose_mm.apis.inferencers.VideoPoseInferencer` when the config's model is a
   video model and MMPose's ``Pose2DInferencer`` otherwise (aliases, metafile names,
   single-frame configs); a config file that cannot be read raises instead of falling
   back. The ``Pose2DInferencer`` class itself and every other import of
   it are untouched.
2. ``'track_id'`` in prediction dicts: MMPose's ``postprocess`` (used by both inferencers)
   turns ``pred_instances`` into dicts with ``mmpose.structures.split_instances``, which
   keeps a fixed set of keys. The name ``split_instances`` of
   ``mmpose.apis.inferencers.base_mmpose_inferencer`` is rebound to
   :func:`split_instances_with_track_ids`: MMPose's function, plus ``track_id`` when the
   instances have ``track_ids`` (only the video inferencer sets them).
3. Call-time ``causal``, ``max_missed`` and ``streaming``: ``MMPoseInferencer.__call__``
   keeps the arguments its inner inferencer declares, then checks them against its own
   declared sets; the three names are added to ``MMPoseInferencer.preprocess_kwargs`` /
   ``forward_kwargs``. Inner inferencers that do not declare them still never see them.
"""
import importlib

from mmpose.structures import split_instances

_MMPOSE_INFERENCER = 'mmpose.apis.inferencers.mmpose_inferencer'
_BASE_INFERENCER = 'mmpose.apis.inferencers.base_mmpose_inferencer'
# Call-time arguments of VideoPoseInferencer that MMPose's inferencers do not have.
VIDEO_PREPROCESS_KWARGS = frozenset({'causal', 'max_missed'})
VIDEO_FORWARD_KWARGS = frozenset({'streaming'})


def split_instances_with_track_ids(instances):
    """MMPose's ``split_instances``, with each instance's ``track_id`` when known.

    Args:
        instances (InstanceData, optional): Predicted instances (N people).

    Returns:
        list[dict]: One dict per person (MMPose's keys, plus ``track_id`` (int)).
    """
    results = split_instances(instances)
    if instances is not None and 'track_ids' in instances:
        for result, track_id in zip(results, instances.track_ids):
            result['track_id'] = int(track_id)
    return results


def dispatch_pose2d_inferencer(model, *args, **kwargs):
    """Builds the video inferencer for a video model's config, else MMPose's.

    Args:
        model: ``pose2d`` as given to ``MMPoseInferencer``.
        *args, **kwargs: The remaining ``Pose2DInferencer`` arguments.
    """
    from mmpose.apis.inferencers import Pose2DInferencer

    from .video_pose_inferencer import VideoPoseInferencer, is_video_pose_config
    cls = VideoPoseInferencer if is_video_pose_config(model) else Pose2DInferencer
    return cls(model, *args, **kwargs)


def install_mmpose_hooks() -> None:
    """Rebinds the two names and extends the argument sets (idempotent)."""
    mmpose_inferencer = importlib.import_module(_MMPOSE_INFERENCER)
    mmpose_inferencer.Pose2DInferencer = dispatch_pose2d_inferencer
    facade = mmpose_inferencer.MMPoseInferencer
    facade.preprocess_kwargs = facade.preprocess_kwargs | VIDEO_PREPROCESS_KWARGS
    facade.forward_kwargs = facade.forward_kwargs | VIDEO_FORWARD_KWARGS
    base_inferencer = importlib.import_module(_BASE_INFERENCER)
    base_inferencer.split_instances = split_instances_with_track_ids
