"""Top-down estimator for T-frame inputs."""
from typing import Dict, Optional, Union

from mmengine.logging import print_log
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor, nn

from ..utils.pretrained import (
    is_single_frame_checkpoint,
    load_summary,
    remap_single_frame_head,
    single_frame_head_targets,
)

VideoFeatures = Dict[str, Union[Tensor, int, dict]]


@MODELS.register_module()
class VideoTopdownPoseEstimator(TopdownPoseEstimator):
    """MMPose's top-down estimator, fed with a window of T frames per person.

    The backbone runs once on all ``B*T`` frames (one batched pass, so support frames cost
    no more than extra batch items). Its last feature level becomes the "video features"
    dict ``{'frame_feats': (B, T, C, h, w), 'key_frame_index': int}``; the necks, applied in
    order, add keys to it (masks, fused features, ...; see ``docs/data_contract.md``) and
    the head turns it into the key frame's heatmaps (B, K, h, w). Loss, flip test
    (``inputs.flip(-1)`` flips every frame) and codec decoding are MMPose's.

    **Single-frame checkpoints** (MMPose's COCO top-down models, as the paper configs'
    ``load_from``) load through MMEngine's ``load_checkpoint(model, file, strict=False)``
    unchanged, and a load pre-hook puts every tensor where it belongs: the backbone into
    the backbone; the single-frame head's layers into the neck stage that declares them
    (``single_frame_head_layers``, e.g. the DAM's per-frame heatmap layer takes
    ``head.final_layer``); no other ``head.*`` tensor reaches the video head, whose layers
    share those names but not their role, so it keeps its designed init. One log line says
    how many tensors loaded, which checkpoint keys went unused and which model keys stayed
    at init. Checkpoints of the video model itself (they have ``temporal_necks.*`` keys)
    load as they are.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): One neck config (with ``type``), or a mapping from stage
            name to neck config, applied in order, e.g.
            ``dict(dam=dict(type='DynamicAwareMask', ...), encoder=dict(...))``. Named
            stages let a child config change one of them (``neck=dict(dam=dict(
            use_dam=False))``) or drop it (``neck=dict(encoder=None)``).
        head (dict): Head config; it receives the video features dict.
        key_frame_index (int, optional): Position of the key frame in the window; defaults
            to the centre (T // 2), as produced by ``PoseTrackVideoDataset`` with
            symmetric ``frame_indices``. Causal (past-only) models set it to -1.
        train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: As
            :class:`mmpose.models.TopdownPoseEstimator`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 head: OptConfigType = None,
                 key_frame_index: Optional[int] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=None,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        self.temporal_necks = nn.ModuleDict(
            (name, MODELS.build(cfg)) for name, cfg in self._neck_stages(neck).items())
        self.key_frame_index = key_frame_index
        self._register_load_state_dict_pre_hook(self._remap_single_frame_checkpoint)

    def _remap_single_frame_checkpoint(self, state_dict: dict, prefix: str, *args,
                                       **kwargs) -> None:
        """Load pre-hook: a single-frame top-down checkpoint's head goes to the necks."""
        if not self.temporal_necks or not is_single_frame_checkpoint(state_dict, prefix):
            return
        model_state = self.state_dict()
        targets = single_frame_head_targets(self.temporal_necks, self.backbone)
        remapped = remap_single_frame_head(state_dict, prefix, model_state, targets)
        print_log(load_summary(state_dict, prefix, model_state, remapped), logger='current')

    @staticmethod
    def _neck_stages(neck: OptConfigType) -> Dict[str, ConfigType]:
        if neck is None:
            return {}
        if 'type' in neck:
            return {'neck': neck}
        return {name: cfg for name, cfg in neck.items() if cfg is not None}

    def resolve_key_frame_index(self, num_frames: int) -> int:
        if self.key_frame_index is None:
            return num_frames // 2
        return self.key_frame_index % num_frames

    def extract_feat(self, inputs: Tensor) -> VideoFeatures:
        """Per-frame backbone features, then the temporal necks.

        Args:
            inputs (Tensor): Frames (B, T, 3, H, W); (B, 3, H, W) is taken as T = 1.

        Returns:
            dict: The video features (at least ``frame_feats`` (B, T, C, h, w) and
            ``key_frame_index``).
        """
        return self.forward_necks(self.extract_frame_feats(inputs))

    def extract_frame_feats(self, inputs: Tensor) -> VideoFeatures:
        """Run the backbone once on all B*T frames.

        Args:
            inputs (Tensor): Frames (B, T, 3, H, W); (B, 3, H, W) is taken as T = 1.

        Returns:
            dict: ``{'frame_feats': (B, T, C, h, w), 'key_frame_index': int}``.
        """
        if inputs.dim() == 4:
            inputs = inputs.unsqueeze(1)
        batch_size, num_frames = inputs.shape[:2]
        feats = self.backbone(inputs.flatten(0, 1))
        last_level = feats[-1] if isinstance(feats, (list, tuple)) else feats
        return {
            'frame_feats': last_level.view(batch_size, num_frames, *last_level.shape[1:]),
            'key_frame_index': self.resolve_key_frame_index(num_frames),
        }

    def forward_necks(self, video_feats: VideoFeatures) -> VideoFeatures:
        """Apply the temporal necks in order to per-frame features (cached ones too).

        Args:
            video_feats (dict): At least ``frame_feats`` (B, T, C, h, w) and
                ``key_frame_index``.

        Returns:
            dict: The video features with every neck's keys added.
        """
        for neck in self.temporal_necks.values():
            video_feats = neck(video_feats)
        return video_feats

    def _check_key_frame(self, inputs: Tensor, data_samples: Optional[SampleList]) -> None:
        if not data_samples or inputs.dim() != 5:
            return
        expected = self.resolve_key_frame_index(inputs.shape[1])
        given = data_samples[0].metainfo.get('key_frame_index', expected)
        if given != expected:
            raise ValueError(
                f'the data puts the key frame at position {given} of {inputs.shape[1]} frames '
                f'but the model expects {expected}; align the dataset frame_indices with the '
                "model's key_frame_index")

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        self._check_key_frame(inputs, data_samples)
        return super().loss(inputs, data_samples)

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        self._check_key_frame(inputs, data_samples)
        return super().predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None
                 ) -> Union[Tensor, tuple]:
        return self.head.forward(self.extract_feat(inputs))
