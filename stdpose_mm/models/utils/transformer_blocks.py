"""Transformer blocks of the semantic motion encoder and the mutual-learning head.

Token layout: video tokens are (B, T, N, d) (T frames, N = gh * gw patch positions, d
channels); image tokens are (B, L, d). All blocks are pre-norm (LayerNorm before each
attention / feed-forward, residual stream left unnormalised), as ViT / TimeSformer.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Temperature of the sine-cosine position encoding (Vaswani et al.; MAE's 2D version).
SINCOS_TEMPERATURE = 10000.0
ATTENTION_MODES = ('joint', 'divided')


def sincos_position_encoding_2d(height: int,
                                width: int,
                                embed_dims: int,
                                temperature: float = SINCOS_TEMPERATURE,
                                cell_size: Sequence[float] = (1.0, 1.0),
                                device: Optional[torch.device] = None,
                                dtype: Optional[torch.dtype] = None) -> Tensor:
    """Fixed 2D sine-cosine position encoding (MAE's ``get_2d_sincos_pos_embed``).

    The first half of the channels encodes the row, the second half the column; each half
    is ``[sin(pos * omega), cos(pos * omega)]`` with ``omega_i = temperature^(-i / (d/4))``.

    Args:
        height (int): Grid rows gh.
        width (int): Grid columns gw.
        embed_dims (int): Channels d; must be a multiple of 4.
        temperature (float): Frequency base. Defaults to 10000.
        cell_size (Sequence[float]): Size (rows, cols) of one grid cell in the unit of the
            encoded coordinates: cell (i, j) is encoded at its centre
            ``((i + 0.5) * cell_h - 0.5, (j + 0.5) * cell_w - 0.5)``, so a grid pooled by
            s from a finer one (cell_size (s, s)) is encoded in the fine grid's pixel
            coordinates and matches it. Defaults to (1, 1): cell (i, j) at (i, j).
        device (torch.device, optional): Device of the result.
        dtype (torch.dtype, optional): Dtype of the result (computed in float32).

    Returns:
        Tensor: (gh * gw, d), row-major over the grid (the order of ``flatten(2)``).
    """
    if embed_dims % 4 != 0:
        raise ValueError(f'embed_dims must be a multiple of 4, got {embed_dims}')
    quarter = embed_dims // 4
    omega = temperature ** (-torch.arange(quarter, device=device, dtype=torch.float32) / quarter)
    rows = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * cell_size[0] - 0.5
    cols = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * cell_size[1] - 0.5
    grid_rows, grid_cols = torch.meshgrid(rows, cols, indexing='ij')
    row_angles = grid_rows.reshape(-1, 1) * omega  # (gh*gw, d/4)
    col_angles = grid_cols.reshape(-1, 1) * omega
    encoding = torch.cat([row_angles.sin(), row_angles.cos(), col_angles.sin(),
                          col_angles.cos()], dim=1)
    return encoding if dtype is None else encoding.to(dtype)


class MultiHeadAttention(nn.Module):
    """Multi-head (self or cross) attention on (B, L, d) tokens, via PyTorch's fused SDPA.

    Query, key and value may differ (DETR-style cross attention adds position encodings
    to queries and keys but not to values).

    Args:
        embed_dims (int): Channels d (of queries, keys and values).
        num_heads (int): Heads; must divide d.
        dropout (float): Dropout on the attention weights and output. Defaults to 0.
    """

    def __init__(self, embed_dims: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'num_heads={num_heads} must divide embed_dims={embed_dims}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.dropout = dropout
        self.query_proj = nn.Linear(embed_dims, embed_dims)
        self.key_proj = nn.Linear(embed_dims, embed_dims)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        self.out_drop = nn.Dropout(dropout)

    def _split_heads(self, tokens: Tensor) -> Tensor:
        """(B, L, d) -> (B, heads, L, d / heads)."""
        return tokens.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def forward(self, query: Tensor, key: Optional[Tensor] = None,
                value: Optional[Tensor] = None) -> Tensor:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query (Tensor): (B, Lq, d).
            key (Tensor, optional): (B, Lk, d); defaults to ``query`` (self-attention).
            value (Tensor, optional): (B, Lk, d); defaults to ``key``.

        Returns:
            Tensor: (B, Lq, d).
        """
        key = query if key is None else key
        value = key if value is None else value
        attended = F.scaled_dot_product_attention(
            self._split_heads(self.query_proj(query)),
            self._split_heads(self.key_proj(key)),
            self._split_heads(self.value_proj(value)),
            dropout_p=self.dropout if self.training else 0.0)
        return self.out_drop(self.out_proj(attended.transpose(1, 2).flatten(2)))


class FeedForward(nn.Sequential):
    """Transformer MLP: Linear(d, r*d) - GELU - Dropout - Linear(r*d, d) - Dropout.

    Args:
        embed_dims (int): Channels d.
        mlp_ratio (float): Hidden width over d. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.
    """

    def __init__(self, embed_dims: int, mlp_ratio: float = 4.0, dropout: float = 0.0) -> None:
        hidden_dims = int(embed_dims * mlp_ratio)
        super().__init__(
            nn.Linear(embed_dims, hidden_dims), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dims, embed_dims), nn.Dropout(dropout))


class SpaceTimeBlock(nn.Module):
    """Pre-norm transformer block over video tokens (B, T, N, d).

    - ``attention='joint'``: one attention over all T * N tokens (every token sees every
      position of every frame), as ViViT's joint space-time encoder;
    - ``attention='divided'``: temporal attention among the T tokens of each patch position,
      then spatial attention among the N tokens of each frame (TimeSformer's divided
      space-time attention, cost O(T^2 N + T N^2) instead of O(T^2 N^2)).

    Each is followed by the feed-forward layer.

    Args:
        embed_dims (int): Channels d.
        num_heads (int): Attention heads.
        attention (str): ``'joint'`` or ``'divided'``. Defaults to ``'joint'``.
        mlp_ratio (float): Feed-forward width over d. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 attention: str = 'joint',
                 mlp_ratio: float = 4.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if attention not in ATTENTION_MODES:
            raise ValueError(f'attention must be one of {ATTENTION_MODES}, got {attention!r}')
        self.attention = attention
        if attention == 'joint':
            self.joint_norm = nn.LayerNorm(embed_dims)
            self.joint_attn = MultiHeadAttention(embed_dims, num_heads, dropout)
        else:
            self.temporal_norm = nn.LayerNorm(embed_dims)
            self.temporal_attn = MultiHeadAttention(embed_dims, num_heads, dropout)
            self.spatial_norm = nn.LayerNorm(embed_dims)
            self.spatial_attn = MultiHeadAttention(embed_dims, num_heads, dropout)
        self.ffn_norm = nn.LayerNorm(embed_dims)
        self.ffn = FeedForward(embed_dims, mlp_ratio, dropout)

    def forward(self, tokens: Tensor) -> Tensor:
        """Args:
            tokens (Tensor): (B, T, N, d).

        Returns:
            Tensor: (B, T, N, d).
        """
        batch_size, num_frames, num_patches, dims = tokens.shape
        if self.attention == 'joint':
            flat = tokens.reshape(batch_size, num_frames * num_patches, dims)
            normed = self.joint_norm(flat)
            tokens = (flat + self.joint_attn(normed)).view_as(tokens)
        else:
            # Temporal: one sequence of T tokens per (sample, patch position).
            per_position = tokens.transpose(1, 2).reshape(-1, num_frames, dims)
            normed = self.temporal_norm(per_position)
            per_position = per_position + self.temporal_attn(normed)
            tokens = per_position.view(batch_size, num_patches, num_frames, dims).transpose(1, 2)
            # Spatial: one sequence of N tokens per (sample, frame).
            per_frame = tokens.reshape(-1, num_patches, dims)
            normed = self.spatial_norm(per_frame)
            per_frame = per_frame + self.spatial_attn(normed)
            tokens = per_frame.view(batch_size, num_frames, num_patches, dims)
        return tokens + self.ffn(self.ffn_norm(tokens))


def space_time_blocks(num_blocks: int,
                      embed_dims: int,
                      num_heads: int,
                      attention_pattern: Sequence[str] = ATTENTION_MODES,
                      mlp_ratio: float = 4.0,
                      dropout: float = 0.0) -> nn.Sequential:
    """``num_blocks`` :class:`SpaceTimeBlock` s whose attention cycles ``attention_pattern``.

    With the default pattern ``('joint', 'divided')`` the blocks alternate joint and
    divided space-time attention (J, D, J, D, ...).
    """
    if not attention_pattern:
        raise ValueError('attention_pattern must not be empty')
    return nn.Sequential(*[
        SpaceTimeBlock(embed_dims, num_heads, attention_pattern[i % len(attention_pattern)],
                       mlp_ratio, dropout) for i in range(num_blocks)
    ])


class CrossAttentionBlock(nn.Module):
    """Pre-norm cross-attention block: ``x + Attn(q=x, kv=context)``, then ``+ FFN``.

    Position encodings (if given) are added to queries and keys, not to values (DETR).

    Args:
        embed_dims (int): Channels d of queries and context.
        num_heads (int): Attention heads.
        mlp_ratio (float): Feed-forward width over d. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.
    """

    def __init__(self, embed_dims: int, num_heads: int, mlp_ratio: float = 4.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.query_norm = nn.LayerNorm(embed_dims)
        self.context_norm = nn.LayerNorm(embed_dims)
        self.attn = MultiHeadAttention(embed_dims, num_heads, dropout)
        self.ffn_norm = nn.LayerNorm(embed_dims)
        self.ffn = FeedForward(embed_dims, mlp_ratio, dropout)

    def forward(self,
                query: Tensor,
                context: Tensor,
                query_pos: Optional[Tensor] = None,
                context_pos: Optional[Tensor] = None) -> Tensor:
        """Args:
            query (Tensor): (B, Lq, d).
            context (Tensor): (B, Lk, d) keys/values.
            query_pos (Tensor, optional): (1 or B, Lq, d) position encoding of the queries.
            context_pos (Tensor, optional): (1 or B, Lk, d) position encoding of the keys.

        Returns:
            Tensor: (B, Lq, d).
        """
        normed_query = self.query_norm(query)
        normed_context = self.context_norm(context)
        query_in = normed_query if query_pos is None else normed_query + query_pos
        key_in = normed_context if context_pos is None else normed_context + context_pos
        query = query + self.attn(query_in, key_in, normed_context)
        return query + self.ffn(self.ffn_norm(query))


def fold_patches(patch_values: Tensor, grid_size: Sequence[int], patch_size: int) -> Tensor:
    """Per-patch vectors back to a map: (B, N, c * p * p) -> (B, c, gh * p, gw * p)."""
    batch_size = patch_values.shape[0]
    grid_h, grid_w = grid_size
    patches = patch_values.view(batch_size, grid_h, grid_w, -1, patch_size, patch_size)
    return patches.permute(0, 3, 1, 4, 2, 5).reshape(
        batch_size, -1, grid_h * patch_size, grid_w * patch_size)


def unfold_patches(maps: Tensor, patch_size: int) -> Tensor:
    """A map cut into patch vectors: (B, c, gh * p, gw * p) -> (B, N, c * p * p).

    The inverse of :func:`fold_patches`; each vector is one patch, channel-major.
    """
    batch_size, channels, height, width = maps.shape
    grid_h, grid_w = height // patch_size, width // patch_size
    patches = maps.view(batch_size, channels, grid_h, patch_size, grid_w, patch_size)
    return patches.permute(0, 2, 4, 1, 3, 5).reshape(
        batch_size, grid_h * grid_w, channels * patch_size * patch_size)

