"""Propagation from a config: what ``tools/propagate.py`` runs, as a package API."""
import hashlib
import json
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Union

from ..datasets.posetrack_annotations import (
    VideoIndex,
    load_json,
    load_video_annotations,
    select_labeled_frames,
)
from ..datasets.posetrack_video_dataset import DEFAULT_FRAME_OFFSETS
from ..utils.dataset_cfg import unwrap_dataset_cfg
from .propagation import (
    PROPAGATION_METHODS,
    PropagationTarget,
    evaluate_pseudo_labels,
    plan_propagation,
    run_baseline,
)
from .pseudo_label_writer import write_pseudo_labels

LABEL_RULE_KEYS = ('labeled_ratio', 'label_stride', 'labeled_frames')


@dataclass
class PropagationSetup:
    """Everything a propagation run needs from a config, resolved.

    Args:
        cfg (Config): The propagation model's config.
        dataset_cfg (dict): Its training dataset config (wrappers unwrapped).
        ann_file (str): Annotations of the videos to propagate in.
        data_root (str): Root of ``ann_file`` and the frames.
        img_prefix (str): Folder that the images' ``file_name`` are relative to.
        metainfo (dict): Dataset metainfo.
        label_rule (dict): ``labeled_ratio`` / ``label_stride`` / ``labeled_frames``.
        videos (dict): ``vid_id -> VideoIndex``.
        labeled (dict): ``vid_id -> labelled frame numbers``.
        targets (list[PropagationTarget]): Every unlabelled frame with its neighbours.
    """

    cfg: object
    dataset_cfg: dict
    ann_file: str
    data_root: str
    img_prefix: str
    metainfo: dict
    label_rule: dict
    videos: Dict[str, VideoIndex]
    labeled: Dict[str, List[int]]
    targets: List[PropagationTarget]

    def by_video(self) -> Dict[str, List[PropagationTarget]]:
        grouped: Dict[str, List[PropagationTarget]] = {}
        for target in self.targets:
            grouped.setdefault(target.vid_id, []).append(target)
        return grouped


def resolve_setup(config, ann_file: Optional[str] = None, data_root: Optional[str] = None,
                  label_rule: Optional[dict] = None,
                  max_distance: Optional[int] = None) -> PropagationSetup:
    """Read the videos, the label rule and the frame paths from a propagation config.

    Args:
        config (str | Config): The propagation model config (its training dataset gives
            ``ann_file``, ``data_root``, ``data_prefix``, the label rule, ``metainfo``,
            ``vid_key`` / ``frame_key``).
        ann_file (str, optional): Annotations to use instead of the config's.
        data_root (str, optional): Data root to use instead of the config's.
        label_rule (dict, optional): One of ``labeled_ratio``, ``label_stride``,
            ``labeled_frames`` (dict or json file); default: the config's.
        max_distance (int, optional): Ignore labelled frames farther than this.

    Returns:
        PropagationSetup: The resolved run.
    """
    from mmengine.config import Config

    from ..datasets import PoseTrackVideoDataset

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    dataset_cfg = unwrap_dataset_cfg(cfg.train_dataloader.dataset)
    data_root = data_root if data_root is not None else dataset_cfg.get('data_root', '')
    ann_file = ann_file or osp.join(data_root, dataset_cfg.ann_file)
    rule = {key: (label_rule or {}).get(key) for key in LABEL_RULE_KEYS}
    if all(value is None for value in rule.values()):
        rule = {key: dataset_cfg.get(key) for key in LABEL_RULE_KEYS}
    if isinstance(rule['labeled_frames'], str):
        rule['labeled_frames'] = load_json(rule['labeled_frames'])
    metainfo = PoseTrackVideoDataset._load_metainfo(dataset_cfg.get('metainfo'))
    videos = load_video_annotations(ann_file, metainfo['num_keypoints'],
                                    vid_key=dataset_cfg.get('vid_key', 'vid_id'),
                                    frame_key=dataset_cfg.get('frame_key'))
    labeled = select_labeled_frames(videos, **rule)
    img_prefix = osp.join(data_root, dataset_cfg.get('data_prefix', {}).get('img', ''))
    return PropagationSetup(cfg, dataset_cfg, ann_file, data_root, img_prefix, metainfo, rule,
                            videos, labeled, plan_propagation(videos, labeled, max_distance))


def build_model_propagator(setup: PropagationSetup, checkpoint: str, device: str = 'cpu',
                           batch_size: int = 32, num_workers: int = 2):
    """The propagator of the config's model: bidirectional or one-sided."""
    from mmpose.apis import init_model

    from .model_propagators import BidirectionalPropagator, ModelPropagator

    model = init_model(setup.cfg, checkpoint, device=device)
    pipeline = unwrap_dataset_cfg(setup.cfg.test_dataloader.dataset).pipeline
    frame_indices = setup.dataset_cfg.get('frame_indices', DEFAULT_FRAME_OFFSETS)
    common = dict(batch_size=batch_size, num_workers=num_workers)
    if setup.cfg.model.type == 'BidirectionalPropagationEstimator':
        return BidirectionalPropagator(model, pipeline, setup.metainfo, setup.img_prefix,
                                       frame_indices=frame_indices, **common)
    return ModelPropagator(model, pipeline, setup.metainfo, setup.img_prefix,
                           num_frames=len(frame_indices), **common)


def file_digest(path: str) -> str:
    """sha256 of a file (hex)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def run_record(setup: PropagationSetup, method: str, checkpoint: Optional[str],
               max_distance: Optional[int]) -> dict:
    """What produces a pseudo-label file: method, checkpoint, label rule, data (for resume)."""
    rule = dict(setup.label_rule)
    if isinstance(rule.get('labeled_frames'), dict):
        rule['labeled_frames'] = hashlib.sha256(json.dumps(
            rule['labeled_frames'], sort_keys=True).encode()).hexdigest()
    return dict(
        method=method, label_rule=rule, ann_file=osp.abspath(setup.ann_file),
        max_distance=max_distance,
        checkpoint=None if method != 'model' else dict(
            path=osp.abspath(checkpoint), sha256=file_digest(checkpoint)),
        model=None if method != 'model' else setup.cfg.model.type)


def evaluate_by_distance(setup: PropagationSetup, content: dict) -> dict:
    """PoseTrack AP of pseudo-labels: overall, occluded joints, and by label distance.

    Returns:
        dict: ``{'all': table, 'occluded': table, 'by_distance': {d: {'all': table,
        'occluded': table}}}`` (tables as :func:`evaluate_posetrack`; ``occluded`` left
        out where the annotations have no occlusion flags, a distance left out where its
        frames have no ground truth).
    """
    def tables(image_ids=None):
        result = {}
        for subset in (None, 'occluded'):
            try:
                result[subset or 'all'] = evaluate_pseudo_labels(setup.ann_file, content,
                                                                 subset, image_ids)
            except ValueError:  # no occlusion flags, or no ground truth on these frames
                continue
        return result

    results = tables()
    by_distance: Dict[int, List] = {}
    for target in setup.targets:
        if target.label_distance is not None:
            by_distance.setdefault(target.label_distance, []).append(
                target.image.get('id', target.image.get('frame_id')))
    results['by_distance'] = {}
    for distance in sorted(by_distance):
        result = tables(by_distance[distance])
        if result:
            results['by_distance'][distance] = dict(result, num_frames=len(
                by_distance[distance]))
    return results


def propagate_from_config(config, out_file: str, checkpoint: Optional[str] = None,
                          method: str = 'model', ann_file: Optional[str] = None,
                          data_root: Optional[str] = None, label_rule: Optional[dict] = None,
                          max_distance: Optional[int] = None, batch_size: int = 32,
                          num_workers: int = 2, device: str = 'cpu', resume: bool = False,
                          overwrite: bool = False, evaluate: bool = False,
                          progress: Optional[Callable[[int], None]] = None,
                          log: Callable[[str], None] = print
                          ) -> Dict[str, Union[dict, PropagationSetup]]:
    """Write pseudo-labels for every unlabelled frame of a config's videos.

    Args:
        config (str | Config): Propagation model config (it also supplies the dataset).
        out_file (str): Pseudo-label json (``PoseTrackVideoDataset(pseudo_label_file=)``).
        checkpoint (str, optional): Model checkpoint (``method='model'`` only).
        method (str): ``'model'`` (the config's model: bidirectional or one-sided),
            ``'copy'`` or ``'interpolate'``.
        ann_file, data_root, label_rule, max_distance: See :func:`resolve_setup`.
        batch_size (int): Windows per forward pass. Defaults to 32.
        num_workers (int): Data loading workers. Defaults to 2.
        device (str): Model device. Defaults to ``'cpu'``.
        resume (bool): Continue an unfinished run (refused if it was another run's).
        overwrite (bool): Replace an existing output.
        evaluate (bool): Also score the pseudo-labels against the hidden labels
            (:func:`evaluate_by_distance`).
        progress (callable, optional): Called with the number of frames finished.
        log (callable): Receives one-line messages. Defaults to ``print``.

    Returns:
        dict: ``content`` (the written json), ``setup`` and, with ``evaluate``, ``metrics``.

    Raises:
        PropagationOutputExists: See :func:`write_pseudo_labels`.
    """
    from ..evaluation.functional import POSETRACK18_CATEGORY

    if method not in PROPAGATION_METHODS:
        raise ValueError(f'method must be one of {PROPAGATION_METHODS}, got {method!r}')
    if method == 'model' and (not checkpoint or checkpoint == '-'):
        raise ValueError('method "model" needs a checkpoint')
    setup = resolve_setup(config, ann_file, data_root, label_rule, max_distance)
    by_video = setup.by_video()
    log(f'{setup.ann_file}: {len(setup.videos)} videos, '
        f'{sum(len(v) for v in setup.labeled.values())} labelled frames, '
        f'{len(setup.targets)} frames to propagate ({method})')
    if method == 'model':
        propagator = build_model_propagator(setup, checkpoint, device, batch_size,
                                            num_workers)

        def video_results(vid_id):
            return propagator(setup.videos, by_video[vid_id], progress=progress)
    else:
        def video_results(vid_id):
            for result in run_baseline(method, by_video[vid_id]):
                if progress is not None:
                    progress(1)
                yield result
    content = write_pseudo_labels(
        out_file, video_results, sorted(by_video), categories=[POSETRACK18_CATEGORY],
        resume=resume, overwrite=overwrite,
        run=run_record(setup, method, checkpoint, max_distance))
    log(f'wrote {out_file}: {len(content["annotations"])} propagated poses on '
        f'{len(content["images"])} frames')
    result = dict(content=content, setup=setup)
    if evaluate:
        result['metrics'] = evaluate_by_distance(setup, content)
    return result
