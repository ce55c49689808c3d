"""Dynamic-Aware Mask (DAM) of STDPose (Jiao et al., AAAI 2025)."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

# Defaults for the mask sharpness ``k`` and threshold ``theta``. The paper names both but
# its values are not available; these are chosen for heatmaps in [0, 1] (MSE-regressed
# Gaussians with peak 1): |R| = 0 gives a mask of sigmoid(-3) ~ 0.05, |R| = 0.2 gives ~0.95,
# so a joint whose heatmap moved by a fraction of its peak counts as dynamic.
DEFAULT_MASK_SHARPNESS = 30.0
DEFAULT_MASK_THRESHOLD = 0.1
# Weight of a fully static region in the masked features, see ``static_feat_weight``.
DEFAULT_STATIC_FEAT_WEIGHT = 0.5


@MODELS.register_module()
class DynamicAwareMask(BaseModule):
    """Dynamic-Aware Mask (DAM): pose residuals turned into soft masks that weight frames.

    A shared simple heatmap head (a 1x1 conv, as the final layer of MMPose's HRNet
    ``HeatmapHead`` with no deconvolutions) predicts per-frame heatmaps ``H_i``. It declares
    ``single_frame_head_layers``, so a COCO top-down checkpoint's ``head.final_layer`` loads
    here (see :class:`VideoTopdownPoseEstimator`) and the masks mean something from the
    first step instead of being ``sigmoid(-k * theta)`` everywhere. Pose residuals against
    the key frame, ``R_i = H_i - H_t``, are computed for every support frame: backward
    (i < t) and forward (i > t), near and distant (the long-range part). A sharpened
    sigmoid of their magnitude,

        ``M_i = 1 / (1 + exp(-k * (|R_i| - theta)))``,

    is the per-joint dynamic mask. Taking ``|R|`` makes a joint that appears (``R > 0``) and
    one that disappears (``R < 0``) both count as dynamic.

    Choices where the paper is silent:

    - **Key frame:** its residual is 0 by construction, which the formula would map to a
      near-zero mask; instead the key frame keeps mask 1 (fully trusted), as DCPose and
      FAMI-Pose always pass the key frame's own representation unweighted.
    - **Heatmaps** are weighted per joint, ``H_i * M_i``: where ``|R_i| < theta`` the support
      heatmap duplicates the key frame's, which downstream modules already see unmasked, so
      suppressing it loses nothing and lets moving joints dominate.
    - **Features** are weighted by a residual gate with the mask reduced over joints (max
      over K, any moving joint marks the pixel as dynamic):
      ``F_i * (s + (1 - s) * max_K M_i)`` with ``s = static_feat_weight``. Unlike heatmaps,
      equal heatmaps do not imply equal features (context, appearance), so static content
      is damped, never zeroed; a floor also keeps gradients flowing to every pixel early
      in training when all predicted heatmaps (and therefore all masks) are near zero.
      With ``s = 0.5`` this is ``F_i * (1 + M) / 2``, the residual attention
      ``(1 + M) * F`` of Wang et al. (CVPR 2017) rescaled so that mask 1 is the identity.

    With ``use_dam=False`` all masks are ones, so ``masked_feats == frame_feats`` and
    ``masked_heatmaps == frame_heatmaps`` (plain uniform fusion downstream); the heatmap head
    and the residuals are still computed so the per-frame loss and the motion residuals
    used by the aggregation head stay available.

    Args:
        in_channels (int): Channels C of the per-frame backbone features.
        num_keypoints (int): Number of keypoints K. Defaults to 17.
        k (float): Sharpness of the sigmoid mask. Defaults to 30.
        theta (float): Residual magnitude at which the mask is 0.5. Defaults to 0.1.
        use_dam (bool): Whether to apply the dynamic masks; ``False`` makes every mask 1
            (ablation). Defaults to ``True``.
        static_feat_weight (float): Feature weight of a fully static pixel (mask 0), in
            [0, 1]. Defaults to 0.5.
        init_cfg (dict, optional): MMEngine init config. The layers are initialised in
            ``__init__``; defaults to ``None``.
    """

    # Single-frame ``HeatmapHead`` layer -> this module's layer (pretrained loading).
    single_frame_head_layers = {'final_layer': 'heatmap_layer'}

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int = 17,
                 k: float = DEFAULT_MASK_SHARPNESS,
                 theta: float = DEFAULT_MASK_THRESHOLD,
                 use_dam: bool = True,
                 static_feat_weight: float = DEFAULT_STATIC_FEAT_WEIGHT,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= static_feat_weight <= 1.0:
            raise ValueError(f'static_feat_weight must be in [0, 1], got {static_feat_weight}')
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.k = float(k)
        self.theta = float(theta)
        self.use_dam = use_dam
        self.static_feat_weight = float(static_feat_weight)

        # Shared simple head: the same 1x1 conv on every frame.
        self.heatmap_layer = nn.Conv2d(in_channels, num_keypoints, kernel_size=1)
        # MMPose HeatmapHead's init for its final layer.
        nn.init.normal_(self.heatmap_layer.weight, std=0.001)
        nn.init.zeros_(self.heatmap_layer.bias)

    @staticmethod
    def dynamic_mask(residuals: Tensor, k: float, theta: float) -> Tensor:
        """The DAM formula ``M = 1 / (1 + exp(-k * (|R| - theta)))``, elementwise.

        Args:
            residuals (Tensor): Pose residuals R of any shape, e.g. (B, T, K, h, w).
            k (float): Sharpness.
            theta (float): Threshold on ``|R|`` where the mask is 0.5.

        Returns:
            Tensor: Masks in (0, 1), same shape as ``residuals``.
        """
        return torch.sigmoid(k * (residuals.abs() - theta))

    def forward(self, video_feats: Dict) -> Dict:
        """Add per-frame heatmaps, residuals, masks and masked features/heatmaps.

        Args:
            video_feats (dict): The video features with

                - ``frame_feats`` (Tensor): (B, T, C, h, w) per-frame backbone features;
                - ``key_frame_index`` (int): position t of the key frame.

        Returns:
            dict: A shallow copy of ``video_feats`` with, added:

            - ``frame_heatmaps`` (B, T, K, h, w): per-frame heatmaps ``H_i``;
            - ``residuals`` (B, T, K, h, w): ``H_i - H_t`` (zero at the key frame);
            - ``masks`` (B, T, K, h, w): per-joint masks, 1 at the key frame;
            - ``masked_feats`` (B, T, C, h, w): features weighted by the reduced mask;
            - ``masked_heatmaps`` (B, T, K, h, w): ``H_i * M_i``.
        """
        frame_feats: Tensor = video_feats['frame_feats']
        batch_size, num_frames = frame_feats.shape[:2]
        key_frame_index = int(video_feats['key_frame_index']) % num_frames

        # One batched pass of the shared head over all B*T frames.
        frame_heatmaps = self.heatmap_layer(frame_feats.flatten(0, 1)).unflatten(
            0, (batch_size, num_frames))
        key_heatmaps = frame_heatmaps[:, key_frame_index:key_frame_index + 1]
        residuals = frame_heatmaps - key_heatmaps

        if self.use_dam:
            masks = self.dynamic_mask(residuals, self.k, self.theta)
            # The key frame is kept unmasked (weight 1), see the class docstring.
            is_key_frame = torch.zeros(num_frames, dtype=torch.bool, device=masks.device)
            is_key_frame[key_frame_index] = True
            masks = torch.where(is_key_frame.view(1, num_frames, 1, 1, 1),
                                torch.ones_like(masks), masks)
        else:
            masks = torch.ones_like(residuals)

        # Any moving joint marks the pixel as dynamic: (B, T, 1, h, w).
        region_masks = masks.amax(dim=2, keepdim=True)
        feat_weights = self.static_feat_weight + (1.0 - self.static_feat_weight) * region_masks
        masked_feats = frame_feats * feat_weights
        masked_heatmaps = frame_heatmaps * masks

        outputs = dict(video_feats)
        outputs.update(
            frame_heatmaps=frame_heatmaps,
            residuals=residuals,
            masks=masks,
            masked_feats=masked_feats,
            masked_heatmaps=masked_heatmaps)
        return outputs
