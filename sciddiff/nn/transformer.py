"""A diffusion transformer over 1-D or 2-D patches with adaLN-Zero conditioning (DiT)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from sciddiff.nn.attention import SelfAttention
from sciddiff.nn.conditioning import Conditioning, noise_levels
from sciddiff.nn.embeddings import NoiseEmbedding, sinusoidal_positions
from sciddiff.nn.unet_blocks import CONVS

POSITIONS = ("sinusoidal", "learned", "none")


def modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    """x (1 + scale) + shift, with (B, width) modulations broadcast over the tokens."""
    return x * (1 + scale[:, None]) + shift[:, None]


def zero_linear(cin: int, cout: int) -> nn.Linear:
    """A Linear layer with zero weight and bias (the "Zero" of adaLN-Zero)."""
    layer = nn.Linear(cin, cout)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class DiTBlock(nn.Module):
    """x + g1 Attn(LN(x)(1 + a1) + b1), then x + g2 MLP(LN(x)(1 + a2) + b2), with (a, b, g) regressed from e.

    The regression is zero-initialised, so each block starts as the identity (adaLN-Zero).
    """

    def __init__(self, width: int, heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.attn = SelfAttention(width, heads)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden), nn.GELU(approximate="tanh"), nn.Dropout(dropout), nn.Linear(hidden, width)
        )
        self.ada = nn.Sequential(nn.SiLU(), zero_linear(width, 6 * width))

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        b1, a1, g1, b2, a2, g2 = self.ada(emb).chunk(6, dim=1)
        x = x + g1[:, None] * self.attn(modulate(self.norm1(x), b1, a1))
        return x + g2[:, None] * self.mlp(modulate(self.norm2(x), b2, a2))


class Transformer(nn.Module):
    """F(x, c_noise, **cond) for x of shape (B, *in_shape), in_shape = (C, L) or (C, H, W).

    Patches of ``patch_size`` (per spatial axis) become tokens of ``width``; ``depth`` DiT blocks with adaLN-Zero
    conditioning on the noise (plus label/vector) embedding; a modulated LayerNorm and a zero-initialised linear
    map back to patches, so a fresh network outputs exactly 0. Peebles & Xie, "Scalable Diffusion Models with
    Transformers" (2022, arXiv:2212.09748). A context is concatenated to the input channels (with its indicator)
    before patching. ``positions``: "sinusoidal" (fixed), "learned", or "none" (then the network is equivariant
    to permutations of the patches). Computes in the parameters' dtype and returns x's dtype.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        patch_size: int,
        width: int = 256,
        depth: int = 6,
        heads: int = 4,
        out_channels: int | None = None,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        positions: str = "sinusoidal",
        embedding: str = "sinusoidal",
        num_classes: int | None = None,
        vector_dim: int | None = None,
        context_channels: int | None = None,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        in_shape = tuple(in_shape)
        if len(in_shape) not in (2, 3):
            raise ValueError(f"in_shape must be (C, L) or (C, H, W), got {in_shape}")
        if patch_size < 1 or any(n % patch_size for n in in_shape[1:]):
            raise ValueError(f"spatial sizes {in_shape[1:]} are not divisible by patch_size={patch_size}")
        if positions not in POSITIONS:
            raise ValueError(f"unknown positions {positions!r}; choose one of {list(POSITIONS)}")
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads={heads}")
        if depth < 0:
            raise ValueError(f"Transformer depth must be >= 0, got {depth}")
        self.in_shape, self.patch_size = in_shape, patch_size
        self.out_channels = in_shape[0] if out_channels is None else out_channels
        dims = len(in_shape) - 1
        self.grid = tuple(n // patch_size for n in in_shape[1:])
        self.noise = NoiseEmbedding(width, embedding)
        self.cond = Conditioning(width, num_classes, vector_dim, context_channels, p_uncond)
        cin = in_shape[0] + self.cond.extra_channels
        self.patch = CONVS[dims](cin, width, patch_size, stride=patch_size)
        fixed = sinusoidal_positions(self.grid, width) if positions == "sinusoidal" else None
        self.register_buffer("pos", fixed, persistent=False)
        if positions == "learned":
            self.pos = nn.Parameter(0.02 * torch.randn(math.prod(self.grid), width))
        self.blocks = nn.ModuleList(DiTBlock(width, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.final_ada = nn.Sequential(nn.SiLU(), zero_linear(width, 2 * width))
        self.out = zero_linear(width, self.out_channels * patch_size**dims)

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(
                f"x has shape {tuple(x.shape)}; this Transformer expects (B, {', '.join(map(str, self.in_shape))})"
            )
        h = x.to(self.out.weight.dtype)
        emb = self.noise(noise_levels(c_noise, h))
        extra_emb, context = self.cond(h, cond)
        if extra_emb is not None:
            emb = emb + extra_emb
        if context is not None:
            h = torch.cat([h, context], dim=1)
        tokens = self.patch(h).flatten(2).transpose(1, 2)
        if self.pos is not None:
            tokens = tokens + self.pos.to(tokens.dtype)
        for block in self.blocks:
            tokens = block(tokens, emb)
        shift, scale = self.final_ada(emb).chunk(2, dim=1)
        return self.unpatchify(self.out(modulate(self.norm(tokens), shift, scale))).to(x.dtype)

    def unpatchify(self, tokens: Tensor) -> Tensor:
        """(B, N, C p^d) -> (B, C, *spatial), token n covering patch n of the row-major grid."""
        b, p, c = tokens.shape[0], self.patch_size, self.out_channels
        if len(self.grid) == 1:
            return tokens.reshape(b, self.grid[0], c, p).permute(0, 2, 1, 3).reshape(b, c, -1)
        gh, gw = self.grid
        out = tokens.reshape(b, gh, gw, c, p, p).permute(0, 3, 1, 4, 2, 5)
        return out.reshape(b, c, gh * p, gw * p)
