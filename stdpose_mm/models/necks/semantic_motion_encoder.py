"""Multi-Level Semantic Motion Encoder (MLSME) of Feng & Chen, with masked reconstruction."""
import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from ..utils import fold_patches, sincos_position_encoding_2d, space_time_blocks, unfold_patches

# ---- numbers given by Feng & Chen (paper size) ----
DEFAULT_EMBED_DIMS = 256
DEFAULT_NUM_HEADS = 8
DEFAULT_NUM_PATCH_BLOCKS = 4  # patch (cube) level
DEFAULT_NUM_FRAME_BLOCKS = 4  # frame level
DEFAULT_TUBE_MASK_RATIO = 0.5
DEFAULT_NUM_MASKED_FRAMES = 1
# ---- our choices where the paper is silent ----
DEFAULT_PATCH_SIZE = 4  # as STDPose's TFF: a 96x72 map gives 24x18 = 432 tokens per frame
DEFAULT_ATTENTION_PATTERN = ('joint', 'divided')  # blocks alternate J, D, J, D
DEFAULT_DECODER_DEPTH = 1  # "light" decoders: one joint block + linear
# Context reconstruction weight (ours). Normalised feature targets make this loss ~100x the
# heatmap MSE; at 0.1 its gradient dominated the backbone and pose learning stalled.
DEFAULT_LAMBDA_CTX = 0.01
MASK_TOKEN_INIT_STD = 0.02  # MAE / ViT convention for learned tokens and embeddings
HEATMAP_OUT_INIT_STD = 0.001  # MMPose's init of heatmap-producing layers


def _num_masked(ratio: float, total: int) -> int:
    """``round(ratio * total)`` with halves rounded up (0.5 of 5 -> 3), at least 0."""
    return max(0, min(total, int(math.floor(ratio * total + 0.5))))


class _TokenDecoder(nn.Module):
    """Light reconstruction decoder: [Linear d->d'] + joint blocks + LayerNorm + Linear.

    Args:
        embed_dims (int): Encoder token width d.
        decoder_embed_dims (int): Decoder width d'.
        depth (int): Joint space-time blocks.
        num_heads (int): Attention heads.
        out_dims (int): Channels predicted per token.
        mlp_ratio (float): Feed-forward width over d'.
    """

    def __init__(self, embed_dims: int, decoder_embed_dims: int, depth: int, num_heads: int,
                 out_dims: int, mlp_ratio: float) -> None:
        super().__init__()
        self.input_proj = (nn.Identity() if decoder_embed_dims == embed_dims
                           else nn.Linear(embed_dims, decoder_embed_dims))
        self.blocks = space_time_blocks(depth, decoder_embed_dims, num_heads, ('joint', ),
                                        mlp_ratio)
        self.norm = nn.LayerNorm(decoder_embed_dims)
        self.output_proj = nn.Linear(decoder_embed_dims, out_dims)

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T, N, d) -> (B, T, N, out_dims)."""
        return self.output_proj(self.norm(self.blocks(self.input_proj(tokens))))


@MODELS.register_module()
class SemanticMotionEncoder(BaseModule):
    """Multi-Level Semantic Motion Encoder (MLSME, Feng & Chen) with masked reconstruction.

    Reads ``masked_feats`` (B, T, C, h, w) of :class:`DynamicAwareMask` if present, else
    ``frame_feats``. Each frame is cut into tokens by a strided-conv patch embedding
    (``patch_size``), and a fixed 2D sine-cosine spatial encoding plus a learned temporal
    embedding (one vector per frame) are added. The encoder is ``num_patch_blocks`` blocks,
    alternating (``attention_pattern``) joint space-time attention over all T*N tokens and
    divided attention (temporal per patch position, then spatial per frame), then
    ``num_frame_blocks`` more, and a final LayerNorm.

    **Two passes in training, one at test.** The pose path (``motion_feats``) always reads
    the *unmasked* sequence, so the head and the BatchNorm of ``refine`` train on exactly
    the distribution they see at test time. (In an earlier single-pass design half of the
    key frame's tokens were mask tokens in training and none at test; switching tube
    masking off then raised the CPU model from 66.8 to 73.9 AP, one seed.) The paper's
    progressive masking drives a second pass through the *same* encoder weights, which
    only the reconstruction losses read, so the masked objectives still shape the encoder
    that the pose path uses:

    1. **Patch (cube) level.** ``round(tube_mask_ratio * N)`` patch positions per sample,
       drawn at random, are masked in *every* frame (a tube through time): their patch
       embeddings become a learned ``cube_mask_token`` before the position encodings are
       added (MAE-style, so masked tokens know where they are); the patch-level blocks run.
    2. **Frame level.** ``num_masked_frames`` whole support frames per sample (never the
       key frame) become a second learned ``frame_mask_token`` (plus the position
       encodings again), and the frame-level blocks run.

    The guarantee (tested): in training, with fixed weights, ``motion_feats`` does not
    depend on the mask draw; the second pass costs one more encoder pass per step in
    training only.

    The output ``motion_feats`` (B, C_m, h, w) is the key frame's tokens (after joint
    attention they carry the support frames' motion and stay aligned with the key frame's
    pixel grid, which the mutual-learning head needs) painted back onto the heatmap grid
    by a transposed conv (kernel = stride = ``patch_size``) and smoothed by a 3x3
    conv-BN-ReLU, as STDPose's TFF does.

    **Reconstruction (training only, on the masked pass).** Two light decoders
    (``decoder_depth`` joint blocks + linear):

    - *context reconstruction* predicts, for every token, its input patch of the features
      (C * p * p values, the frame's own ``masked_feats`` patch, detached, LayerNorm'ed per
      patch as MAE's ``norm_pix_loss`` when ``normalize_ctx_target``, because backbone
      features change scale during training); the MSE is averaged over the masked tokens
      only (tube positions in all frames and all positions of masked frames) and added as
      ``aux_losses['loss_ctx_recon']`` = ``lambda_ctx`` x MSE;
    - *pose reconstruction* predicts every frame's heatmaps from its tokens (K * p * p
      values per token, folded back): ``pose_recon_heatmaps`` (B, T, K, h, w) is put in
      the dict and the head weighs its MSE against the per-frame GT of every labelled
      frame, the key frame and masked support frames included (the neck has no GT).

    In eval mode nothing is masked, the second pass and the decoders do not run
    (deterministic; no ``aux_losses`` / ``pose_recon_heatmaps`` are added).

    Switches (off = the module or token is not built and the step is skipped):
    ``mask_cubes`` (no tube masking, no ``cube_mask_token``), ``mask_frames`` (no frame
    masking, no ``frame_mask_token``; the frame-level blocks stay, so the ablation removes
    the masking, not depth), ``context_reconstruction`` (no ``context_decoder``),
    ``pose_reconstruction`` (no ``pose_decoder``). Context reconstruction needs some masking.

    Also added, for inspection: ``motion_cube_mask`` (B, N) bool and ``motion_frame_mask``
    (B, T) bool, the masks used in this forward (all ``False`` in eval mode).

    Args:
        in_channels (int): Channels C of the per-frame features.
        num_keypoints (int): Keypoints K (pose reconstruction). Defaults to 17.
        num_frames (int): Frames T (size of the temporal embedding). Defaults to 5.
        out_channels (int, optional): Channels C_m of ``motion_feats``. Defaults to
            ``embed_dims``.
        embed_dims (int): Token width d (multiple of 4). Defaults to 256 (paper).
        patch_size (int): Patch side p in feature pixels. Defaults to 4 (ours).
        num_patch_blocks (int): Blocks after cube masking. Defaults to 4 (paper).
        num_frame_blocks (int): Blocks after frame masking. Defaults to 4 (paper).
        num_heads (int): Attention heads. Defaults to 8 (paper).
        attention_pattern (Sequence[str]): Attention of successive blocks, cycled;
            ``'joint'`` or ``'divided'``. Defaults to ``('joint', 'divided')`` (ours).
        mlp_ratio (float): Feed-forward width over d. Defaults to 4.
        dropout (float): Dropout in the blocks. Defaults to 0.
        mask_cubes (bool): Tube masking at the patch level. Defaults to ``True``.
        tube_mask_ratio (float): Fraction of patch positions masked, in [0, 1].
            Defaults to 0.5 (paper).
        mask_frames (bool): Support-frame masking at the frame level. Defaults to ``True``.
        num_masked_frames (int): Support frames masked per sample, <= T - 1. Defaults to 1
            (paper).
        context_reconstruction (bool): Build the context decoder and its loss. Defaults to
            ``True``.
        pose_reconstruction (bool): Build the pose decoder (``pose_recon_heatmaps``).
            Defaults to ``True``.
        decoder_embed_dims (int, optional): Width of both decoders. Defaults to
            ``embed_dims``.
        decoder_depth (int): Joint blocks per decoder. Defaults to 1 (ours).
        lambda_ctx (float): Weight of the context loss. Defaults to 0.01 (ours).
        normalize_ctx_target (bool): LayerNorm each target patch. Defaults to ``True``.
        init_cfg (dict, optional): MMEngine init config. Defaults to ``None``.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int = 17,
                 num_frames: int = 5,
                 out_channels: Optional[int] = None,
                 embed_dims: int = DEFAULT_EMBED_DIMS,
                 patch_size: int = DEFAULT_PATCH_SIZE,
                 num_patch_blocks: int = DEFAULT_NUM_PATCH_BLOCKS,
                 num_frame_blocks: int = DEFAULT_NUM_FRAME_BLOCKS,
                 num_heads: int = DEFAULT_NUM_HEADS,
                 attention_pattern: Sequence[str] = DEFAULT_ATTENTION_PATTERN,
                 mlp_ratio: float = 4.0,
                 dropout: float = 0.0,
                 mask_cubes: bool = True,
                 tube_mask_ratio: float = DEFAULT_TUBE_MASK_RATIO,
                 mask_frames: bool = True,
                 num_masked_frames: int = DEFAULT_NUM_MASKED_FRAMES,
                 context_reconstruction: bool = True,
                 pose_reconstruction: bool = True,
                 decoder_embed_dims: Optional[int] = None,
                 decoder_depth: int = DEFAULT_DECODER_DEPTH,
                 lambda_ctx: float = DEFAULT_LAMBDA_CTX,
                 normalize_ctx_target: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = embed_dims if out_channels is None else out_channels
        decoder_embed_dims = embed_dims if decoder_embed_dims is None else decoder_embed_dims
        if not 0.0 <= tube_mask_ratio <= 1.0:
            raise ValueError(f'tube_mask_ratio must be in [0, 1], got {tube_mask_ratio}')
        if mask_frames and not 0 <= num_masked_frames <= num_frames - 1:
            raise ValueError(f'num_masked_frames must be in [0, {num_frames - 1}] (support '
                             f'frames only), got {num_masked_frames}')
        if context_reconstruction and not (mask_cubes or mask_frames):
            raise ValueError('context_reconstruction needs mask_cubes or mask_frames: '
                             'with nothing masked there is nothing to reconstruct')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_keypoints = num_keypoints
        self.num_frames = num_frames
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        self.mask_cubes = mask_cubes
        self.tube_mask_ratio = float(tube_mask_ratio)
        self.mask_frames = mask_frames
        self.num_masked_frames = int(num_masked_frames)
        self.context_reconstruction = context_reconstruction
        self.pose_reconstruction = pose_reconstruction
        self.lambda_ctx = float(lambda_ctx)
        self.normalize_ctx_target = normalize_ctx_target

        # Channel reduction to d and patchification in one strided conv (ViT).
        self.patch_embed = nn.Conv2d(in_channels, embed_dims, patch_size, stride=patch_size)
        self.temporal_pos_embed = nn.Parameter(torch.zeros(1, num_frames, 1, embed_dims))
        nn.init.trunc_normal_(self.temporal_pos_embed, std=MASK_TOKEN_INIT_STD)

        self.cube_mask_token: Optional[nn.Parameter] = None
        if mask_cubes:
            self.cube_mask_token = nn.Parameter(torch.zeros(embed_dims))
            nn.init.normal_(self.cube_mask_token, std=MASK_TOKEN_INIT_STD)
        self.patch_blocks = space_time_blocks(num_patch_blocks, embed_dims, num_heads,
                                              attention_pattern, mlp_ratio, dropout)
        self.frame_mask_token: Optional[nn.Parameter] = None
        if mask_frames:
            self.frame_mask_token = nn.Parameter(torch.zeros(embed_dims))
            nn.init.normal_(self.frame_mask_token, std=MASK_TOKEN_INIT_STD)
        self.frame_blocks = space_time_blocks(num_frame_blocks, embed_dims, num_heads,
                                              attention_pattern, mlp_ratio, dropout)
        # Pre-norm blocks leave the residual stream unnormalised: close with a LayerNorm.
        self.norm = nn.LayerNorm(embed_dims)

        self.unpatchify = nn.ConvTranspose2d(embed_dims, out_channels, patch_size,
                                             stride=patch_size)
        self.refine = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True))

        self.context_decoder: Optional[_TokenDecoder] = None
        if context_reconstruction:
            self.context_decoder = _TokenDecoder(
                embed_dims, decoder_embed_dims, decoder_depth, num_heads,
                in_channels * patch_size * patch_size, mlp_ratio)
        self.pose_decoder: Optional[_TokenDecoder] = None
        if pose_reconstruction:
            self.pose_decoder = _TokenDecoder(
                embed_dims, decoder_embed_dims, decoder_depth, num_heads,
                num_keypoints * patch_size * patch_size, mlp_ratio)
            nn.init.normal_(self.pose_decoder.output_proj.weight, std=HEATMAP_OUT_INIT_STD)
            nn.init.zeros_(self.pose_decoder.output_proj.bias)

    def position_encoding(self, grid_size: Sequence[int], like: Tensor) -> Tensor:
        """Spatial sine-cosine + learned temporal encoding, (1, T, N, d).

        Args:
            grid_size (Sequence[int]): Token grid (gh, gw).
            like (Tensor): A tensor giving device and dtype.
        """
        spatial = sincos_position_encoding_2d(*grid_size, self.embed_dims,
                                              device=like.device, dtype=like.dtype)
        return spatial.view(1, 1, -1, self.embed_dims) + self.temporal_pos_embed

    def sample_cube_mask(self, batch_size: int, num_patches: int,
                         device: torch.device) -> Tensor:
        """Random tube mask: ``round(tube_mask_ratio * N)`` positions per sample.

        Returns:
            Tensor: (B, N) bool, ``True`` where the position is masked in every frame.
        """
        ranks = torch.rand(batch_size, num_patches, device=device).argsort(1).argsort(1)
        return ranks < _num_masked(self.tube_mask_ratio, num_patches)

    def sample_frame_mask(self, batch_size: int, num_frames: int, key_frame_index: int,
                          device: torch.device) -> Tensor:
        """Random support-frame mask: ``num_masked_frames`` frames per sample, never the key.

        Returns:
            Tensor: (B, T) bool, ``True`` where the whole frame is masked.
        """
        noise = torch.rand(batch_size, num_frames, device=device)
        noise[:, key_frame_index] = 2.0  # above every uniform draw: ranked last
        return noise.argsort(1).argsort(1) < self.num_masked_frames

    def forward(self, video_feats: Dict) -> Dict:
        """Encode the frames into key-frame-aligned motion features.

        Args:
            video_feats (dict): Needs ``masked_feats`` or ``frame_feats`` (B, T, C, h, w)
                and ``key_frame_index``.

        Returns:
            dict: A shallow copy of ``video_feats`` with ``motion_feats`` (B, C_m, h, w),
            ``motion_cube_mask`` (B, N), ``motion_frame_mask`` (B, T) and, in training,
            ``aux_losses['loss_ctx_recon']`` (context reconstruction on) and
            ``pose_recon_heatmaps`` (B, T, K, h, w) (pose reconstruction on).
        """
        padded, tokens, grid_size, key_frame_index = self.embed_patches(video_feats)
        batch_size, num_frames, num_patches = tokens.shape[:3]
        height, width = self.input_feats(video_feats).shape[-2:]
        patch = self.patch_size
        pos = self.position_encoding(grid_size, tokens)  # (1, T, N, d)
        device = tokens.device

        # Pose path: the unmasked sequence, in training as at test time.
        clean_tokens = self.encode(tokens, pos)
        key_maps = clean_tokens[:, key_frame_index].transpose(1, 2).reshape(
            batch_size, self.embed_dims, *grid_size)
        motion_feats = self.refine(self.unpatchify(key_maps)[..., :height, :width])

        cube_mask = torch.zeros(batch_size, num_patches, dtype=torch.bool, device=device)
        frame_mask = torch.zeros(batch_size, num_frames, dtype=torch.bool, device=device)
        outputs = dict(video_feats)
        outputs.update(motion_feats=motion_feats, motion_cube_mask=cube_mask,
                       motion_frame_mask=frame_mask)
        if not self.training or (self.context_decoder is None and self.pose_decoder is None):
            return outputs

        # Reconstruction path: cube then frame masking, the same encoder weights.
        if self.cube_mask_token is not None:
            cube_mask = self.sample_cube_mask(batch_size, num_patches, device)
        if self.frame_mask_token is not None:
            frame_mask = self.sample_frame_mask(batch_size, num_frames, key_frame_index, device)
        masked_tokens = clean_tokens
        if cube_mask.any() or frame_mask.any():
            masked_tokens = self.encode(tokens, pos, cube_mask, frame_mask)
        outputs.update(motion_cube_mask=cube_mask, motion_frame_mask=frame_mask)

        if self.context_decoder is not None:
            token_mask = cube_mask[:, None, :] | frame_mask[:, :, None]  # (B, T, N)
            loss_ctx = self.context_loss(masked_tokens, padded, token_mask)
            aux_losses = dict(video_feats.get('aux_losses') or {})
            aux_losses['loss_ctx_recon'] = self.lambda_ctx * loss_ctx
            outputs['aux_losses'] = aux_losses
        if self.pose_decoder is not None:
            # Every frame's heatmaps, masked support frames included (B*T, N, K*p*p).
            frame_patches = self.pose_decoder(masked_tokens).flatten(0, 1)
            outputs['pose_recon_heatmaps'] = fold_patches(
                frame_patches, grid_size, patch)[..., :height, :width].unflatten(
                    0, (batch_size, num_frames))
        return outputs

    @staticmethod
    def input_feats(video_feats: Dict) -> Tensor:
        """The DAM's ``masked_feats`` if present, else ``frame_feats`` (B, T, C, h, w)."""
        feats = video_feats.get('masked_feats')
        return video_feats['frame_feats'] if feats is None else feats

    def embed_patches(self, video_feats: Dict) -> Tuple[Tensor, Tensor, Tuple[int, int], int]:
        """Patch embeddings of every frame (no position encodings yet).

        Args:
            video_feats (dict): ``masked_feats`` or ``frame_feats`` (B, T, C, h, w) and
                ``key_frame_index``.

        Returns:
            tuple: The input zero-padded to a multiple of the patch size (B*T, C, gh*p,
            gw*p) (outputs are cropped back), the tokens (B, T, N, d), the token grid
            (gh, gw) and the key frame's index in [0, T).
        """
        feats = self.input_feats(video_feats)
        batch_size, num_frames, _, height, width = feats.shape
        if num_frames != self.num_frames:
            raise ValueError(f'{self.__class__.__name__} was built for {self.num_frames} '
                             f'frames, got {num_frames}')
        patch = self.patch_size
        padded = F.pad(feats.flatten(0, 1), (0, (-width) % patch, 0, (-height) % patch))
        patch_maps = self.patch_embed(padded)  # (B*T, d, gh, gw)
        grid_size: Tuple[int, int] = tuple(patch_maps.shape[-2:])
        tokens = patch_maps.flatten(2).transpose(1, 2).unflatten(0, (batch_size, num_frames))
        return padded, tokens, grid_size, int(video_feats['key_frame_index']) % num_frames

    def encode(self, tokens: Tensor, pos: Tensor, cube_mask: Optional[Tensor] = None,
               frame_mask: Optional[Tensor] = None) -> Tensor:
        """Patch-level blocks, then frame-level blocks, with optional progressive masking.

        Args:
            tokens (Tensor): (B, T, N, d) patch embeddings, without position encodings.
            pos (Tensor): (1, T, N, d) position encodings.
            cube_mask (Tensor, optional): (B, N) bool, positions replaced by the cube mask
                token in every frame before the patch-level blocks.
            frame_mask (Tensor, optional): (B, T) bool, frames replaced by the frame mask
                token (plus ``pos``) before the frame-level blocks.

        Returns:
            Tensor: (B, T, N, d) normalised tokens.
        """
        if cube_mask is not None and cube_mask.any():
            tokens = torch.where(cube_mask[:, None, :, None], self.cube_mask_token, tokens)
        tokens = self.patch_blocks(tokens + pos)
        if frame_mask is not None and frame_mask.any():
            tokens = torch.where(frame_mask[:, :, None, None], self.frame_mask_token + pos,
                                 tokens)
        return self.norm(self.frame_blocks(tokens))

    def context_loss(self, tokens: Tensor, padded_feats: Tensor, token_mask: Tensor) -> Tensor:
        """MSE between decoded and input patches, averaged over the masked tokens.

        Args:
            tokens (Tensor): (B, T, N, d) encoder output.
            padded_feats (Tensor): (B*T, C, gh*p, gw*p) input features (the targets).
            token_mask (Tensor): (B, T, N) bool, masked tokens.

        Returns:
            Tensor: Scalar loss (0 if nothing is masked).
        """
        batch_size, num_frames = tokens.shape[:2]
        prediction = self.context_decoder(tokens)  # (B, T, N, C*p*p)
        target = unfold_patches(padded_feats.detach(), self.patch_size).unflatten(
            0, (batch_size, num_frames))
        if self.normalize_ctx_target:
            target = F.layer_norm(target, target.shape[-1:])
        token_errors = (prediction - target).square().mean(dim=-1)
        weights = token_mask.to(token_errors.dtype)
        return (token_errors * weights).sum() / weights.sum().clamp(min=1.0)

    def forward_key_frame(self, video_feats: Dict) -> Dict:
        """:meth:`forward` in eval mode, with the last block for the key frame only.

        Only the key frame's tokens become ``motion_feats``, so the last frame-level block
        computes the key frame's tokens alone (:meth:`key_frame_block`): the same outputs
        as :meth:`forward` in eval mode (up to float rounding) at about (T-1)/T less cost
        for that block. In training mode (or without frame-level blocks) this is
        :meth:`forward`.

        Args:
            video_feats (dict): As :meth:`forward`.

        Returns:
            dict: As :meth:`forward` in eval mode (``motion_feats`` (B, C_m, h, w), all-False
            ``motion_cube_mask`` (B, N) and ``motion_frame_mask`` (B, T)).
        """
        if self.training or not len(self.frame_blocks):
            return self.forward(video_feats)
        _, tokens, grid_size, key_frame_index = self.embed_patches(video_feats)
        batch_size, num_frames = tokens.shape[:2]
        height, width = self.input_feats(video_feats).shape[-2:]
        tokens = self.patch_blocks(tokens + self.position_encoding(grid_size, tokens))
        *blocks, last = self.frame_blocks
        for block in blocks:
            tokens = block(tokens)
        key_tokens = self.norm(self.key_frame_block(last, tokens, key_frame_index))
        key_maps = key_tokens.transpose(1, 2).reshape(batch_size, self.embed_dims, *grid_size)
        outputs = dict(video_feats)
        outputs.update(
            motion_feats=self.refine(self.unpatchify(key_maps)[..., :height, :width]),
            motion_cube_mask=torch.zeros(batch_size, tokens.shape[2], dtype=torch.bool,
                                         device=tokens.device),
            motion_frame_mask=torch.zeros(batch_size, num_frames, dtype=torch.bool,
                                          device=tokens.device))
        return outputs

    @staticmethod
    def key_frame_block(block: nn.Module, tokens: Tensor, key_frame_index: int) -> Tensor:
        """One :class:`SpaceTimeBlock`'s output for the key frame's tokens only.

        Joint attention: the key frame's N tokens attend to all T*N. Divided attention: at
        each position the key frame's token attends to the T tokens of its position, then
        the key frame's tokens attend to each other (the spatial step of one frame reads
        that frame alone). The feed-forward runs on the N key-frame tokens.

        Args:
            block (SpaceTimeBlock): The block (eval mode).
            tokens (Tensor): Its input (B, T, N, d).
            key_frame_index (int): Position of the key frame in T.

        Returns:
            Tensor: ``block(tokens)[:, key_frame_index]`` (B, N, d).
        """
        batch_size, num_frames, num_patches, dims = tokens.shape
        if block.attention == 'joint':
            normed = block.joint_norm(tokens.reshape(batch_size, -1, dims))
            start = key_frame_index * num_patches
            key_tokens = tokens[:, key_frame_index] + block.joint_attn(
                normed[:, start:start + num_patches], normed)
        else:
            per_position = tokens.transpose(1, 2).reshape(-1, num_frames, dims)
            normed = block.temporal_norm(per_position)
            key_tokens = (per_position[:, key_frame_index:key_frame_index + 1] +
                          block.temporal_attn(normed[:, key_frame_index:key_frame_index + 1],
                                              normed)).view(batch_size, num_patches, dims)
            key_tokens = key_tokens + block.spatial_attn(block.spatial_norm(key_tokens))
        return key_tokens + block.ffn(block.ffn_norm(key_tokens))
