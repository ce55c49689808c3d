"""Bidirectional pose propagation: both labelled neighbours, interpolation as the prior."""
from typing import Dict, Optional

import numpy as np
import torch
from mmpose.codecs.utils import get_heatmap_maximum, refine_keypoints_dark
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, SampleList
from torch import Tensor

from .video_topdown import VideoFeatures, VideoTopdownPoseEstimator


def subpixel_peaks(heatmaps: np.ndarray, blur_kernel_size: int) -> np.ndarray:
    """Sub-pixel peaks (K, 2) of heatmaps (K, h, w): argmax + DARK refinement."""
    keypoints, _ = get_heatmap_maximum(heatmaps)
    return refine_keypoints_dark(keypoints[None], heatmaps.copy(), blur_kernel_size)[0]


CONDITION_FIELDS = ('neighbour_heatmaps', 'prior_heatmaps')
CONDITION_LABELS = ('neighbour_offsets', 'neighbour_present', 'prior_input_keypoints',
                    'prior_keypoint_scores')


@MODELS.register_module()
class BidirectionalPropagationEstimator(VideoTopdownPoseEstimator):
    """Propagate labelled poses to a frame between (or beside) two labelled frames.

    The T frames are a fixed window around the unlabelled *target* (the key frame,
    ``frame_indices`` of the dataset, clamped to the video), built by the same
    :func:`~stdpose_mm.datasets.propagation_samples.window_frame_numbers` in training and
    at inference. The inputs from the labels are the poses on the nearest labelled frame
    before and after the target (either may be missing at the video ends), their real
    frame distances and their linear interpolation (the prior), all produced by
    ``GenerateNeighbourHeatmaps`` from labelled frames only; the crop box is the
    interpolated neighbours' box. ``neighbour_pose_encoder`` (``NeighbourPoseEncoder``)
    adds them to the target's features, the STDPose necks (DAM, spatiotemporal encoder)
    relate the target to the window, and the head (``PriorResidualHead``) outputs the
    prior heatmaps plus a zero-initialised correction.

    Prediction corrects the prior pose: keypoints = prior + (peak(heatmaps) -
    peak(prior heatmaps)) with sub-pixel peaks (:func:`subpixel_peaks`), for joints the
    prior has (the others: the codec's decoding); scores are the codec's. So
    the untrained model returns the interpolated pose exactly, with the interpolation's
    scores (the prior heatmaps' peaks, :func:`carry_confidence`), not the codec's
    quantisation of it. With ``flip_test`` the flipped pass sees the flipped conditions
    (the equality then holds up to the codec's flip shift; the configs leave it off).

    Args:
        neighbour_pose_encoder (dict): Config of the conditioning module, e.g.
            ``dict(type='NeighbourPoseEncoder', in_channels=48)``.
        **kwargs: As :class:`VideoTopdownPoseEstimator` (``key_frame_index`` defaults to
            the window centre; ``head`` normally a ``PriorResidualHead``).
    """

    def __init__(self, neighbour_pose_encoder: ConfigType, **kwargs):
        super().__init__(**kwargs)
        self.neighbour_pose_encoder = MODELS.build(neighbour_pose_encoder)

    @staticmethod
    def _conditions(data_samples: SampleList) -> Dict[str, Tensor]:
        missing = [i for i, sample in enumerate(data_samples)
                   if any(key not in sample.gt_fields for key in CONDITION_FIELDS)
                   or any(key not in sample.gt_instance_labels for key in CONDITION_LABELS)]
        if missing:
            raise ValueError(f'data samples {missing} carry no neighbour poses: add '
                             'GenerateNeighbourHeatmaps to the pipeline')
        conditions = {key: torch.stack([s.gt_fields.get(key) for s in data_samples])
                      for key in CONDITION_FIELDS}
        conditions.update({key: torch.cat([s.gt_instance_labels.get(key) for s in data_samples])
                           for key in CONDITION_LABELS})
        return conditions

    def extract_feat(self, inputs: Tensor, conditions: Optional[Dict[str, Tensor]] = None
                     ) -> VideoFeatures:
        """Per-frame features, the labelled neighbours added to the target, the necks.

        Args:
            inputs (Tensor): Frames (B, T, 3, H, W).
            conditions (dict): ``neighbour_heatmaps`` (B, 2K, h, w), ``prior_heatmaps``
                (B, K, h, w), ``neighbour_offsets`` (B, 2), ``neighbour_present`` (B, 2).

        Returns:
            dict: The video features (``prior_heatmaps`` included, for the head).
        """
        if conditions is None:
            raise ValueError(f'{type(self).__name__} needs the labelled neighbours: add '
                             'GenerateNeighbourHeatmaps to the pipeline')
        video_feats = self.extract_frame_feats(inputs)
        video_feats.update({key: conditions[key] for key in (
            'neighbour_heatmaps', 'prior_heatmaps', 'neighbour_offsets', 'neighbour_present')})
        return self.forward_necks(self.neighbour_pose_encoder(video_feats))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        self._check_key_frame(inputs, data_samples)
        feats = self.extract_feat(inputs, self._conditions(data_samples))
        return self.head.loss(feats, data_samples, train_cfg=self.train_cfg)

    def _flipped(self, conditions: Dict[str, Tensor], flip_indices) -> Dict[str, Tensor]:
        num_keypoints = conditions['prior_heatmaps'].shape[1]
        flipped = dict(conditions)
        flipped['prior_heatmaps'] = flip_heatmaps(
            conditions['prior_heatmaps'], flip_indices=flip_indices, flip_mode='heatmap',
            shift_heatmap=False)
        flipped['neighbour_heatmaps'] = torch.cat([
            flip_heatmaps(side, flip_indices=flip_indices, flip_mode='heatmap',
                          shift_heatmap=False)
            for side in conditions['neighbour_heatmaps'].split(num_keypoints, dim=1)], dim=1)
        return flipped

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        self._check_key_frame(inputs, data_samples)
        conditions = self._conditions(data_samples)
        feats = self.extract_feat(inputs, conditions)
        if self.test_cfg.get('flip_test', False):
            flipped = self._flipped(conditions, data_samples[0].metainfo['flip_indices'])
            feats = [feats, self.extract_feat(inputs.flip(-1), flipped)]
        preds = self.head.predict(feats, data_samples, test_cfg=dict(self.test_cfg,
                                                                     output_heatmaps=True))
        pred_instances, pred_fields = preds
        heatmaps = torch.stack([fields.heatmaps for fields in pred_fields])
        self._correct_prior(pred_instances, heatmaps, conditions)
        if not self.test_cfg.get('output_heatmaps', False):
            pred_fields = None
        return self.add_pred_to_datasample(pred_instances, pred_fields, data_samples)

    def _correct_prior(self, pred_instances, heatmaps: Tensor,
                       conditions: Dict[str, Tensor]) -> None:
        """keypoints = prior + (peak(heatmaps) - peak(prior heatmaps)), input-crop coords.

        Peaks are sub-pixel (argmax + DARK refinement, continuous in the heatmap values),
        so a small correction moves a joint a little instead of by the codec's quarter-pixel
        step; the untrained model (heatmaps = prior) keeps the prior exactly.
        """
        scale = np.asarray(getattr(self.head.decoder, 'scale_factor', (1.0, 1.0)))
        blur = int(getattr(self.head.decoder, 'blur_kernel_size', 11))
        prior_keypoints = conditions['prior_input_keypoints'].cpu().numpy()  # (B, K, 2)
        has_prior = conditions['prior_keypoint_scores'].cpu().numpy() > 0  # (B, K)
        outputs = heatmaps.detach().float().cpu().numpy()
        priors = conditions['prior_heatmaps'].detach().float().cpu().numpy()
        for index, pred in enumerate(pred_instances):
            joints = has_prior[index]  # (all-zero maps have no peak to refine)
            keypoints = np.array(pred.keypoints, copy=True)  # (1, K, 2)
            if joints.any():
                shift = (subpixel_peaks(outputs[index][joints], blur) -
                         subpixel_peaks(priors[index][joints], blur)) * scale
                keypoints[0, joints] = prior_keypoints[index][joints] + shift
            pred.keypoints = keypoints

    def forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        # MMPose's tensor mode drops the data samples, which carry the labelled poses.
        if mode == 'tensor':
            conditions = None if data_samples is None else self._conditions(data_samples)
            return self.head.forward(self.extract_feat(inputs, conditions))
        return super().forward(inputs, data_samples, mode)
