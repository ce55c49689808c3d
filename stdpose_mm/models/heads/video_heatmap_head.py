"""The base of every video head: MMPose's ``HeatmapHead`` over the video-features dict."""
from typing import Dict, Tuple

import torch
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor

# Weight of the per-frame heatmap loss. DCPose, when it trains its HRNet, supervises the
# key frame's rough heatmaps and the refined ones with equal weight.
DEFAULT_FRAME_LOSS_WEIGHT = 1.0


class VideoHeatmapHead(HeatmapHead):
    """Base of the video heads: MMPose's ``HeatmapHead`` interface over a video-feature dict.

    ``predict`` (flip test via ``flip_heatmaps``, codec decoding) is inherited unchanged
    from :class:`HeatmapHead` and runs on :meth:`forward`, which maps the video features
    dict to the key frame's heatmaps (B, K, h, w). ``HeatmapHead.__init__`` is skipped (its
    deconv/final layers would be unused parameters, which DDP rejects): subclasses build
    their own layers after calling this ``__init__``.

    :meth:`loss` returns

    - ``loss_kpt``: key-frame heatmap loss (``loss``, e.g. ``KeypointMSELoss`` with target
      weights) against ``gt_fields.heatmaps`` / ``gt_instance_labels.keypoint_weights``;
    - ``loss_frames``: ``frame_loss_weight`` x per-frame heatmap loss (``frame_loss``)
      against ``gt_fields.frame_heatmaps`` (T*K, h, w) weighted by
      ``gt_instance_labels.frame_keypoint_weights`` (1, T, K), which are zero on
      unlabelled frames, so those frames contribute nothing (the mean still runs over
      all B*T*K heatmaps, as ``KeypointMSELoss`` does over invisible joints);
    - every entry of ``video_feats['aux_losses']`` if present (e.g. from a neck);
    - ``acc_pose``: PCK of the key-frame heatmaps, as :class:`HeatmapHead`.

    Args:
        in_channels (int): Channels C of the per-frame features.
        out_channels (int): Number of keypoints K.
        loss (dict): Key-frame loss config. Defaults to ``KeypointMSELoss`` with target
            weights.
        frame_loss (dict): Per-frame loss config. Defaults to ``KeypointMSELoss`` with
            target weights.
        frame_loss_weight (float): Multiplier of the per-frame loss. Defaults to 1.
        decoder (dict, optional): Codec config used by ``predict``. Defaults to ``None``.
        init_cfg (dict, optional): MMEngine init config. Layers are initialised in
            ``__init__``, so the default is ``None``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 frame_loss_weight: float = DEFAULT_FRAME_LOSS_WEIGHT,
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        BaseHead.__init__(self, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = MODELS.build(loss)
        self.frame_loss_module = MODELS.build(frame_loss)
        self.frame_loss_weight = float(frame_loss_weight)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

    def forward_with_frame_heatmaps(self, video_feats: Dict) -> Tuple[Tensor, Tensor]:
        """Key-frame heatmaps (B, K, h, w) and per-frame heatmaps (B, T, K, h, w)."""
        raise NotImplementedError

    def forward(self, video_feats: Dict) -> Tensor:
        """Key-frame heatmaps (B, K, h, w) from the video features dict."""
        return self.forward_with_frame_heatmaps(video_feats)[0]

    def loss(self,
             video_feats: Dict,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Key-frame, per-frame and auxiliary losses, plus ``acc_pose``.

        Args:
            video_feats (dict): Video features (see ``docs/data_contract.md``).
            batch_data_samples (List[PoseDataSample]): B samples with ``gt_fields``
                ``heatmaps`` (K, h, w) and ``frame_heatmaps`` (T*K, h, w), and
                ``gt_instance_labels`` ``keypoint_weights`` (1, K) and
                ``frame_keypoint_weights`` (1, T, K).
            train_cfg (dict): ``compute_acc`` (default ``True``) toggles ``acc_pose``.

        Returns:
            dict: ``loss_kpt``, ``loss_frames``, the auxiliary losses and ``acc_pose``.
        """
        key_heatmaps, frame_heatmaps = self.forward_with_frame_heatmaps(video_feats)

        gt_heatmaps = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        keypoint_weights = torch.cat(
            [d.gt_instance_labels.keypoint_weights for d in batch_data_samples])
        losses = dict(loss_kpt=self.loss_module(key_heatmaps, gt_heatmaps, keypoint_weights))

        # Per-frame supervision on labelled frames: (B, T*K, h, w) against (B, T*K).
        gt_frame_heatmaps = torch.stack(
            [d.gt_fields.frame_heatmaps for d in batch_data_samples])
        frame_keypoint_weights = torch.cat(
            [d.gt_instance_labels.frame_keypoint_weights for d in batch_data_samples])
        loss_frames = self.frame_loss_module(
            frame_heatmaps.flatten(1, 2), gt_frame_heatmaps, frame_keypoint_weights.flatten(1))
        losses['loss_frames'] = loss_frames * self.frame_loss_weight

        for name, value in (video_feats.get('aux_losses') or {}).items():
            if name in losses:
                raise KeyError(f'auxiliary loss {name!r} clashes with a head loss')
            losses[name] = value

        if train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(key_heatmaps),
                target=to_numpy(gt_heatmaps),
                mask=to_numpy(keypoint_weights) > 0)
            losses['acc_pose'] = torch.tensor(avg_acc, device=gt_heatmaps.device)
        return losses
