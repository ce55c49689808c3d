"""Temporal Feature Fusion (TFF), the transformer half of STDPose's encoder."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class TemporalFeatureFusion(BaseModule):
    """Joint space-time transformer over patch tokens of the (masked) frame features.

    Every frame's features are reduced to ``embed_dims`` channels and cut into
    ``patch_size`` x ``patch_size`` patches in one strided conv (ViT patch embedding).
    Learned spatial (per patch position, shared by frames) and temporal (per frame, shared
    by positions) position embeddings are added, and all T x N tokens attend to each other
    in ``num_layers`` pre-norm ``nn.TransformerEncoderLayer`` blocks. The key frame's tokens
    (which, after joint attention, carry the support frames' evidence and stay aligned
    with the key frame's pixel grid, like the key-frame query of FAMI-Pose/TDMI) are mapped
    back to a (B, C', h, w) map by a transposed conv with stride = kernel = ``patch_size``
    (each token paints its own patch) and a 3x3 conv that smooths patch seams.

    Spatial position embeddings are learned for ``feat_size``; other sizes interpolate
    them bicubically. Inputs whose size is not a multiple of ``patch_size`` are zero-padded
    and the output cropped back.

    Args:
        in_channels (int): Channels C of the input frame features.
        out_channels (int, optional): Output channels C'. Defaults to ``in_channels``.
        num_frames (int): Number of frames T (size of the temporal embedding).
            Defaults to 5 (key frame and t-2..t+2).
        embed_dims (int): Token width d. Defaults to 128.
        patch_size (int): Patch side in feature pixels. Defaults to 4 (a 64x48 heatmap
            grid gives 16x12 = 192 tokens per frame, 960 for 5 frames).
        num_layers (int): Number of transformer blocks. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 4.
        mlp_ratio (float): Feed-forward width over ``embed_dims``. Defaults to 4.
        dropout (float): Dropout in the transformer blocks. Defaults to 0.
        feat_size (Sequence[int]): (h, w) the spatial position embedding is learned for.
            Defaults to (64, 48), the heatmap size of a 256x192 input.
        init_cfg (dict, optional): MMEngine init config. Defaults to ``None``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 num_frames: int = 5,
                 embed_dims: int = 128,
                 patch_size: int = 4,
                 num_layers: int = 2,
                 num_heads: int = 4,
                 mlp_ratio: float = 4.0,
                 dropout: float = 0.0,
                 feat_size: Sequence[int] = (64, 48),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_frames = num_frames
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        # Token grid the spatial embedding is learned for (ceil: inputs are padded).
        self.pos_grid_size = (-(-feat_size[0] // patch_size), -(-feat_size[1] // patch_size))

        # Channel reduction to d and patchification in one strided conv.
        self.patch_embed = nn.Conv2d(
            in_channels, embed_dims, kernel_size=patch_size, stride=patch_size)
        self.spatial_pos_embed = nn.Parameter(
            torch.zeros(1, embed_dims, *self.pos_grid_size))
        self.temporal_pos_embed = nn.Parameter(torch.zeros(1, num_frames, 1, embed_dims))

        encoder_layer = nn.TransformerEncoderLayer(
            d_model=embed_dims,
            nhead=num_heads,
            dim_feedforward=int(embed_dims * mlp_ratio),
            dropout=dropout,
            activation='gelu',
            batch_first=True,
            norm_first=True)
        # Pre-norm blocks leave the residual stream unnormalised: close with a LayerNorm.
        self.encoder = nn.TransformerEncoder(
            encoder_layer,
            num_layers=num_layers,
            norm=nn.LayerNorm(embed_dims),
            enable_nested_tensor=False)

        self.unpatchify = nn.ConvTranspose2d(
            embed_dims, out_channels, kernel_size=patch_size, stride=patch_size)
        self.refine = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True))

        # ViT convention for learned position embeddings.
        nn.init.trunc_normal_(self.spatial_pos_embed, std=0.02)
        nn.init.trunc_normal_(self.temporal_pos_embed, std=0.02)

    def _spatial_pos_embed(self, grid_size: Sequence[int]) -> Tensor:
        """Spatial embedding for a token grid, (1, N, d), interpolated if needed."""
        pos_embed = self.spatial_pos_embed
        if tuple(grid_size) != self.pos_grid_size:
            pos_embed = F.interpolate(
                pos_embed, size=tuple(grid_size), mode='bicubic', align_corners=False)
        return pos_embed.flatten(2).transpose(1, 2)

    def forward(self, frame_feats: Tensor, key_frame_index: int) -> Tensor:
        """Fuse the frames into key-frame-aligned temporal features.

        Args:
            frame_feats (Tensor): (B, T, C, h, w) (masked) per-frame features.
            key_frame_index (int): Position of the key frame in T.

        Returns:
            Tensor: (B, C', h, w) temporal features.
        """
        batch_size, num_frames, _, height, width = frame_feats.shape
        if num_frames != self.num_frames:
            raise ValueError(f'{self.__class__.__name__} was built for {self.num_frames} '
                             f'frames, got {num_frames}')
        pad_h = (-height) % self.patch_size
        pad_w = (-width) % self.patch_size
        feats = frame_feats.flatten(0, 1)
        if pad_h or pad_w:
            feats = F.pad(feats, (0, pad_w, 0, pad_h))

        patch_feats = self.patch_embed(feats)  # (B*T, d, gh, gw)
        grid_size = patch_feats.shape[-2:]
        tokens = patch_feats.flatten(2).transpose(1, 2)  # (B*T, N, d)
        tokens = tokens.unflatten(0, (batch_size, num_frames))  # (B, T, N, d)
        tokens = (tokens + self._spatial_pos_embed(grid_size).unsqueeze(1)
                  + self.temporal_pos_embed)

        tokens = self.encoder(tokens.flatten(1, 2))  # joint attention over T*N tokens
        key_tokens = tokens.unflatten(1, (num_frames, -1))[:, key_frame_index]  # (B, N, d)
        key_patch_feats = key_tokens.transpose(1, 2).reshape(
            batch_size, self.embed_dims, *grid_size)

        temporal_feats = self.unpatchify(key_patch_feats)[..., :height, :width]
        return self.refine(temporal_feats)

    def forward_key_frame(self, frame_feats: Tensor, key_frame_index: int) -> Tensor:
        """:meth:`forward` at inference, computing the last block for the key frame only.

        Only the key frame's tokens leave the transformer, so the last block's attention
        takes the key frame's tokens as queries (all T*N tokens stay keys and values) and
        its feed-forward runs on them alone: the same output as :meth:`forward` (up to
        float rounding) at about (T-1)/T less cost for that block. Inference only (no
        dropout is applied in the shortened block).

        Args:
            frame_feats (Tensor): (B, T, C, h, w) (masked) per-frame features.
            key_frame_index (int): Position of the key frame in T.

        Returns:
            Tensor: (B, C', h, w) temporal features, as :meth:`forward`.
        """
        batch_size, num_frames, _, height, width = frame_feats.shape
        if num_frames != self.num_frames:
            raise ValueError(f'{self.__class__.__name__} was built for {self.num_frames} '
                             f'frames, got {num_frames}')
        feats = F.pad(frame_feats.flatten(0, 1),
                      (0, (-width) % self.patch_size, 0, (-height) % self.patch_size))
        patch_feats = self.patch_embed(feats)
        grid_size = patch_feats.shape[-2:]
        tokens = patch_feats.flatten(2).transpose(1, 2).unflatten(0, (batch_size, num_frames))
        tokens = (tokens + self._spatial_pos_embed(grid_size).unsqueeze(1)
                  + self.temporal_pos_embed).flatten(1, 2)
        *layers, last = self.encoder.layers
        for layer in layers:
            tokens = layer(tokens)
        num_patches = tokens.shape[1] // num_frames
        start = (key_frame_index % num_frames) * num_patches
        normed = last.norm1(tokens)
        key_tokens = tokens[:, start:start + num_patches]
        key_tokens = key_tokens + last.self_attn(
            normed[:, start:start + num_patches], normed, normed, need_weights=False)[0]
        key_tokens = key_tokens + last.linear2(last.activation(last.linear1(
            last.norm2(key_tokens))))
        if self.encoder.norm is not None:
            key_tokens = self.encoder.norm(key_tokens)
        key_patch_feats = key_tokens.transpose(1, 2).reshape(
            batch_size, self.embed_dims, *grid_size)
        return self.refine(self.unpatchify(key_patch_feats)[..., :height, :width])
