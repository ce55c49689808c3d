"""STDPose's pose propagation model: a T-frame estimator conditioned on a labelled pose."""
from typing import Optional

import torch
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, SampleList
from torch import Tensor

from .video_topdown import VideoFeatures, VideoTopdownPoseEstimator


@MODELS.register_module()
class PosePropagationEstimator(VideoTopdownPoseEstimator):
    """Propagate a labelled pose from a source frame to a target frame.

    The T frames of a sample run from the labelled source frame (position
    ``source_frame_index``, default 0) to the unlabelled target (the key frame, default
    last), as :class:`PoseTrackVideoDataset` builds them with ``propagation_pairs``. The
    source pose arrives as heatmaps in ``data_sample.gt_fields.source_heatmaps`` (K, h, w)
    (``GenerateSourceHeatmap``; at inference it holds the labelled pose, never the target's)
    and ``source_pose_encoder`` adds it to the source frame's features; the STDPose necks
    and head then predict the target frame's heatmaps. Flip test flips the source heatmaps
    with the frames.

    Args:
        source_pose_encoder (dict): Config of the conditioning module, e.g.
            ``dict(type='SourcePoseEncoder', in_channels=48)``.
        source_frame_index (int): Position of the source frame. Defaults to 0.
        key_frame_index (int): Position of the target frame. Defaults to -1 (last).
        **kwargs: As :class:`VideoTopdownPoseEstimator`.
    """

    def __init__(self,
                 source_pose_encoder: ConfigType,
                 source_frame_index: int = 0,
                 key_frame_index: Optional[int] = -1,
                 **kwargs):
        super().__init__(key_frame_index=key_frame_index, **kwargs)
        self.source_pose_encoder = MODELS.build(source_pose_encoder)
        self.source_frame_index = source_frame_index

    def extract_feat(self, inputs: Tensor, source_heatmaps: Optional[Tensor] = None
                     ) -> VideoFeatures:
        """Per-frame features, conditioned on the source pose, then the temporal necks.

        Args:
            inputs (Tensor): Frames (B, T, 3, H, W).
            source_heatmaps (Tensor): Source pose heatmaps (B, K, h, w).

        Returns:
            dict: The video features.
        """
        if source_heatmaps is None:
            raise ValueError(f'{type(self).__name__} needs the source pose: add '
                             'GenerateSourceHeatmap to the pipeline')
        video_feats = self.extract_frame_feats(inputs)
        video_feats.update(source_heatmaps=source_heatmaps,
                           source_frame_index=self.source_frame_index)
        return self.forward_necks(self.source_pose_encoder(video_feats))

    @staticmethod
    def _source_heatmaps(data_samples: SampleList) -> Tensor:
        missing = [i for i, sample in enumerate(data_samples)
                   if 'source_heatmaps' not in sample.gt_fields]
        if missing:
            raise ValueError(f'data samples {missing} carry no gt_fields.source_heatmaps: add '
                             'GenerateSourceHeatmap to the pipeline')
        return torch.stack([sample.gt_fields.source_heatmaps for sample in data_samples])

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        self._check_key_frame(inputs, data_samples)
        feats = self.extract_feat(inputs, self._source_heatmaps(data_samples))
        return self.head.loss(feats, data_samples, train_cfg=self.train_cfg)

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        self._check_key_frame(inputs, data_samples)
        source_heatmaps = self._source_heatmaps(data_samples)
        feats = self.extract_feat(inputs, source_heatmaps)
        if self.test_cfg.get('flip_test', False):
            flipped = flip_heatmaps(
                source_heatmaps, flip_indices=data_samples[0].metainfo['flip_indices'],
                flip_mode='heatmap', shift_heatmap=False)
            feats = [feats, self.extract_feat(inputs.flip(-1), flipped)]
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        pred_instances, pred_fields = preds if isinstance(preds, tuple) else (preds, None)
        return self.add_pred_to_datasample(pred_instances, pred_fields, data_samples)

    def forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        # MMPose's tensor mode drops the data samples, which carry the source pose here.
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None
                 ) -> Tensor:
        source_heatmaps = None if data_samples is None else self._source_heatmaps(data_samples)
        return self.head.forward(self.extract_feat(inputs, source_heatmaps))
