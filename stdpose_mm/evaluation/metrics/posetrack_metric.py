"""PoseTrack18 AP metric for MMPose that needs no ``poseval`` install.

Drop-in replacement of MMPose's ``PoseTrack18Metric``: same config arguments, same prediction
files (one json per GT video, as the official tool reads them), same metric names, but the
AP comes from :mod:`stdpose_mm.evaluation.functional.posetrack_ap`, which reproduces
poseval's numbers exactly.
"""
from __future__ import annotations

import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger
from mmpose.evaluation.metrics import CocoMetric, PoseTrack18Metric
from mmpose.registry import METRICS

from ..functional.posetrack_ap import (
    POSETRACK18_CATEGORY,
    POSETRACK18_KEYPOINT_NAMES,
    RESULT_KEYS,
    PoseTrackFormatError,
    evaluate_posetrack,
    format_ap_table,
)

# Metric names of MMPose's PoseTrack18Metric for our result keys (its configs save the best
# checkpoint on 'posetrack18/Total AP').
METRIC_NAMES: Dict[str, str] = {
    'Head': 'Head AP', 'Shoulder': 'Shou AP', 'Elbow': 'Elb AP', 'Wrist': 'Wri AP',
    'Hip': 'Hip AP', 'Knee': 'Knee AP', 'Ankle': 'Ankl AP', 'Total': 'Total AP'
}
# MMPose 1.3.2's PoseTrack18Metric calls the total 'AP'; reported too for drop-in use.
TOTAL_ALIAS = 'AP'
OCCLUDED_SUFFIX = '_occluded'



@METRICS.register_module()
class PoseTrackMetric(PoseTrack18Metric):
    """PoseTrack18 per-frame AP without the ``poseval`` package.

    Predictions are gathered, rescored and NMS-filtered exactly like MMPose's
    ``PoseTrack18Metric`` / ``CocoMetric``, written as one PoseTrack18 json per GT video into
    ``dirname(outfile_prefix)`` (a temporary directory when ``outfile_prefix`` is None) --
    GT image order, ``track_id`` = running index of the person in its frame, ``scores`` =
    the per-joint scores -- and evaluated with the built-in poseval-equivalent AP.

    Reported metrics: ``Head AP``, ``Shou AP``, ``Elb AP``, ``Wri AP``, ``Hip AP``,
    ``Knee AP``, ``Ankl AP``, ``Total AP`` (and ``AP``, the same total, the name MMPose 1.3.2
    uses). When the GT annotations carry ``occluded`` flags, the same keys with the suffix
    ``_occluded`` give the AP on occluded joints (see ``posetrack_ap`` for the definition).

    Predictions with a NaN or inf keypoint coordinate, keypoint score or box score are
    refused with a :class:`PoseTrackFormatError` naming the frame file, the image id and
    the annotation (sample) id: poseval would rank a NaN score above every real one.

    Args:
        ann_file (str, optional): MMPose's merged annotation file, e.g.
            ``'data/posetrack18/annotations/posetrack18_val.json'``; the per-video GT jsons
            are read from the folder named after its last ``_`` field
            (``'data/posetrack18/annotations/val/'``), as MMPose does. Or the folder of
            per-video GT jsons itself (PoseTrack21's ``posetrack_data/val``, as the
            dataset's ``ann_file``); the GT is then read from its files.
        score_mode (str): ``'bbox'``, ``'bbox_keypoint'``, ``'bbox_rle'`` or ``'keypoint'``
            (see ``CocoMetric``). It ranks people for NMS only: the AP ranks each joint by
            its own score.
        keypoint_score_thr (float): Keypoint score threshold of ``'bbox_keypoint'``.
        nms_mode (str): ``'oks_nms'``, ``'soft_oks_nms'`` or ``'none'``.
        nms_thr (float): OKS threshold of the NMS.
        format_only (bool): Only write the prediction files (needs ``outfile_prefix``).
        outfile_prefix (str, optional): Prefix whose directory receives the prediction files.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for gathering results across ranks.
        prefix (str, optional): Metric name prefix; defaults to ``'posetrack'``.
        gt_dir (str, optional): Folder of per-video GT jsons; overrides the one derived
            from ``ann_file``.
        occluded_ap (bool, optional): Report the occluded-joint AP: None (default) when the
            GT carries ``occluded`` flags, True to require them, False never.
    """

    # One prefix for PT17, PT18 and PT21 alike (they share the evaluation).
    default_prefix: Optional[str] = 'posetrack'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 score_mode: str = 'bbox_keypoint',
                 keypoint_score_thr: float = 0.2,
                 nms_mode: str = 'oks_nms',
                 nms_thr: float = 0.9,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 gt_dir: Optional[str] = None,
                 occluded_ap: Optional[bool] = None) -> None:
        if ann_file is None and gt_dir is None:
            raise ValueError('PoseTrackMetric needs `ann_file` or `gt_dir` to find the '
                             'per-video GT jsons')
        # A folder of per-video jsons is the GT folder itself; MMPose's CocoMetric would
        # open it as one json file.
        folder = ann_file if ann_file is not None and osp.isdir(ann_file) else None
        # Skip PoseTrack18Metric.__init__: it only refuses to run without poseval.
        CocoMetric.__init__(
            self,
            ann_file=None if folder else ann_file,
            score_mode=score_mode,
            keypoint_score_thr=keypoint_score_thr,
            nms_mode=nms_mode,
            nms_thr=nms_thr,
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            collect_device=collect_device,
            prefix=prefix)
        self.ann_file = ann_file
        self.gt_dir = gt_dir if gt_dir is not None else folder
        if self.coco is None:
            # CocoMetric without a COCO helper would rebuild the GT from the data samples'
            # raw annotations; the per-video GT files are the GT here.
            self.coco = self._coco_from_gt_folder(self.gt_folder())
        self.occluded_ap = occluded_ap
        # Set by results2json for the evaluation that follows it in compute_metrics.
        self._gt_files: List[str] = []
        self._pred_files: List[str] = []
        self._gt_has_occluded = False

    @staticmethod
    def _coco_from_gt_folder(gt_folder: str):
        """A COCO helper over every per-video GT json of ``gt_folder`` (merged in memory).

        Raises:
            FileNotFoundError: The folder does not exist or holds no json file.
        """
        from xtcocotools.coco import COCO

        if not osp.isdir(gt_folder):
            raise FileNotFoundError(f'PoseTrack GT folder {gt_folder} does not exist')
        names = sorted(f for f in os.listdir(gt_folder) if f.endswith('.json'))
        if not names:
            raise FileNotFoundError(f'PoseTrack GT folder {gt_folder} holds no .json file')
        merged: dict = {'images': [], 'annotations': [], 'categories': []}
        for name in names:
            gt = load(osp.join(gt_folder, name))
            merged['images'] += gt.get('images', [])
            merged['annotations'] += gt.get('annotations', [])
            merged['categories'] = merged['categories'] or gt.get('categories', [])
        coco = COCO()
        coco.dataset = merged
        coco.createIndex()
        return coco

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Refuse non-finite predictions, then process the batch as ``CocoMetric`` does.

        Args:
            data_batch (Sequence[dict]): A batch of data from the dataloader.
            data_samples (Sequence[dict]): The model's outputs (as dicts).

        Raises:
            PoseTrackFormatError: A NaN or inf keypoint, keypoint score or box score,
                naming the frame file, the image id and the annotation id.
        """
        for data_sample in data_samples:
            pred = data_sample['pred_instances']
            values = (('keypoints', pred['keypoints']),
                      ('keypoint_scores', pred['keypoint_scores']),
                      ('bbox_scores', data_sample['gt_instances'].get('bbox_scores', [])))
            for name, value in values:
                array = np.asarray(value, dtype=np.float64)
                if not np.isfinite(array).all():
                    raise PoseTrackFormatError(
                        f'{type(self).__name__}: prediction for {data_sample.get("img_path")}'
                        f' (image {data_sample.get("img_id")}, annotation '
                        f'{data_sample.get("id")}) has non-finite "{name}" '
                        f'({int((~np.isfinite(array)).sum())} NaN/inf values); NaN/inf '
                        'scores and coordinates are refused')
        super().process(data_batch, data_samples)

    def gt_folder(self) -> str:
        """Folder of the per-video GT jsons (``'.../posetrack18_val.json'`` -> ``'.../val'``)."""
        if self.gt_dir is not None:
            return self.gt_dir
        split = osp.splitext(osp.basename(self.ann_file))[0].split('_')[-1]
        return osp.join(osp.dirname(self.ann_file), split)

    def results2json(self, keypoints: Dict[int, list], outfile_prefix: str) -> str:
        """Write one prediction json per GT video, in the layout poseval reads.

        Args:
            keypoints (Dict[int, list]): Per image id, the kept instances, each with
                ``keypoints`` (K, 3) = x, y, keypoint score, and ``score``.
            outfile_prefix (str): The files go to ``dirname(outfile_prefix)`` under the GT
                video file names, as with MMPose's PoseTrack18Metric.

        Returns:
            str: The directory of the prediction files.
        """
        gt_folder = self.gt_folder()
        if not osp.isdir(gt_folder):
            raise FileNotFoundError(f'PoseTrack GT folder {gt_folder} does not exist')
        out_dir = osp.dirname(outfile_prefix) or '.'
        os.makedirs(out_dir, exist_ok=True)
        self._gt_files, self._pred_files, self._gt_has_occluded = [], [], False
        written_ids = set()
        for name in sorted(f for f in os.listdir(gt_folder) if f.endswith('.json')):
            gt = load(osp.join(gt_folder, name))
            self._gt_has_occluded |= any('occluded' in ann for ann in gt.get('annotations', []))
            images, annotations = [], []
            for image in gt['images']:
                images.append({'id': image['id'], 'file_name': image['file_name']})
                written_ids.add(image['id'])
                # Running index as track id: poseval requires unique ids within a frame.
                for track_id, instance in enumerate(keypoints.get(image['id'], [])):
                    kpts = np.asarray(instance['keypoints'], dtype=np.float64).reshape(-1, 3)
                    if len(kpts) != len(POSETRACK18_KEYPOINT_NAMES):
                        raise ValueError(f'PoseTrackMetric expects the 17 PoseTrack18 '
                                         f'keypoints, got {len(kpts)}')
                    annotations.append({
                        'image_id': image['id'],
                        'track_id': track_id,
                        'keypoints': kpts.reshape(-1).tolist(),
                        'scores': kpts[:, 2].tolist(),
                        'score': float(instance['score']),
                    })
            pred_file = osp.join(out_dir, name)
            dump({'images': images, 'categories': [POSETRACK18_CATEGORY],
                  'annotations': annotations}, pred_file)
            self._gt_files.append(osp.join(gt_folder, name))
            self._pred_files.append(pred_file)
        unused = [img_id for img_id in keypoints if keypoints[img_id] and
                  img_id not in written_ids]
        if unused:
            MMLogger.get_current_instance().warning(
                f'{len(unused)} predicted image id(s) are in no GT video of {gt_folder} and '
                f'are not evaluated, e.g. {unused[:3]}')
        return out_dir

    def _evaluate(self, subset: Optional[str]) -> Dict[str, object]:
        """Run the built-in AP on the files written by :meth:`results2json`."""
        logger: MMLogger = MMLogger.get_current_instance()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            try:
                result = evaluate_posetrack(self._gt_files, self._pred_files, subset=subset)
            finally:
                for warning in caught:
                    logger.warning(str(warning.message))
        title = 'occluded joints' if subset else 'all joints'
        logger.info(f'PoseTrack18 AP ({title}):\n{format_ap_table(result)}')
        return result

    def _do_python_keypoint_eval(self, outfile_prefix: str) -> List[Tuple[str, float]]:
        """Compute the AP table (and the occluded-joint one) with the built-in evaluator.

        Args:
            outfile_prefix (str): Unused; the files are those written by ``results2json``.

        Returns:
            list: ``(metric name, value)`` pairs.
        """
        result = self._evaluate(subset=None)
        stats = [(METRIC_NAMES[key], result[key]) for key in RESULT_KEYS]
        stats.append((TOTAL_ALIAS, result['Total']))
        if self.occluded_ap or (self.occluded_ap is None and self._gt_has_occluded):
            if not self._gt_has_occluded:
                raise PoseTrackFormatError(
                    f'occluded_ap=True but no GT annotation in {self.gt_folder()} has an '
                    '"occluded" field')
            occluded = self._evaluate(subset='occluded')
            stats += [(METRIC_NAMES[key] + OCCLUDED_SUFFIX, occluded[key])
                      for key in RESULT_KEYS]
        return stats
