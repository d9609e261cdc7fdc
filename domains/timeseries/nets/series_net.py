"""A residual network over (feature, time) grids for multivariate series, mixing features by self-attention.

Every entry (feature k, time l) of a (B, K, L) series is a token of ``channels`` numbers. Each residual layer adds
the noise embedding, mixes across the K features at every time step (multi-head self-attention with a learned
feature embedding, or a circular convolution for features on a periodic grid such as Lorenz-96 sites), then along
time by a dilated convolution, and gates the result as in WaveNet/DiffWave. This is the layer of CSDI with its
time transformer replaced by dilated convolutions (cheaper on CPU, receptive field 2^depth): Tashiro et al., "CSDI:
Conditional Score-based Diffusion Models for Probabilistic Time Series Imputation" (2021, arXiv:2107.03502);
Kong et al., "DiffWave: A Versatile Diffusion Model for Audio Synthesis" (2020, arXiv:2009.09761).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sciddiff.nn import Conditioning, NoiseEmbedding, SelfAttention, noise_levels

MIXING = ("attention", "circular", "none")


class SeriesLayer(nn.Module):
    """(h, emb, side) -> ((h + residual) / sqrt 2, skip) on h of shape (B, channels, K, L)."""

    def __init__(
        self, channels: int, emb_dim: int, side: int, dilation: int, kernel: int, mixing: str, heads: int
    ) -> None:
        super().__init__()
        self.mixing = mixing
        self.emb = nn.Linear(emb_dim, channels)
        if mixing == "attention":
            self.norm, self.attn = nn.LayerNorm(channels), SelfAttention(channels, heads)
        elif mixing == "circular":
            self.feature = nn.Conv2d(channels, channels, (3, 1), padding=(1, 0), padding_mode="circular")
        pad = dilation * (kernel // 2)
        self.time = nn.Conv2d(channels, 2 * channels, (1, kernel), dilation=(1, dilation), padding=(0, pad))
        self.side = nn.Conv2d(side, 2 * channels, 1)
        self.out = nn.Conv2d(channels, 2 * channels, 1)

    def mix_features(self, y: Tensor) -> Tensor:
        if self.mixing == "attention":
            b, c, k, l = y.shape
            tokens = y.permute(0, 3, 2, 1).reshape(b * l, k, c)
            tokens = tokens + self.attn(self.norm(tokens))
            return tokens.reshape(b, l, k, c).permute(0, 3, 2, 1)
        if self.mixing == "circular":
            return y + self.feature(F.silu(y))
        return y

    def forward(self, h: Tensor, emb: Tensor, side: Tensor) -> tuple[Tensor, Tensor]:
        y = self.mix_features(h + self.emb(emb)[:, :, None, None])
        y = self.time(y) + self.side(side)
        gate, value = y.chunk(2, dim=1)
        residual, skip = self.out(torch.sigmoid(gate) * torch.tanh(value)).chunk(2, dim=1)
        return (h + residual) / math.sqrt(2.0), skip


class SeriesNet(nn.Module):
    """F(x, c_noise, **cond) for series x of shape (B, K, L): K features (variables x spatial points), L steps.

    ``context`` (B, m K + time_features, L) holds m per-entry groups (for the time-series adapter: observed values,
    then the observation mask) followed by per-time covariates (calendar features); each entry's token is lifted
    from [x, its m context values, the context indicator, the time covariates]. ``label``/``vector`` (static
    covariates) and the noise level enter through the shared embedding. Dilations cycle through ``dilations``.
    The output layer is zero-initialised, so a fresh network returns 0. Computes in the parameters' dtype.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int = 32,
        depth: int = 6,
        dilations: Sequence[int] = (1, 2, 4, 8),
        kernel: int = 3,
        heads: int = 4,
        feature_mixing: str = "attention",
        emb_dim: int | None = None,
        time_features: int = 0,
        context_channels: int | None = None,
        num_classes: int | None = None,
        vector_dim: int | None = None,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        if feature_mixing not in MIXING:
            raise ValueError(f"feature_mixing must be one of {MIXING}, got {feature_mixing!r}")
        if in_channels < 1 or depth < 1 or kernel < 1 or kernel % 2 == 0:
            raise ValueError(
                f"need in_channels >= 1, depth >= 1 and an odd kernel; got {in_channels}, {depth}, {kernel}"
            )
        ctx = context_channels or 0
        if ctx and (ctx - time_features < 0 or (ctx - time_features) % in_channels):
            raise ValueError(
                f"context_channels={ctx} must be m * in_channels ({in_channels}) + time_features ({time_features})"
            )
        self.in_channels, self.time_features = in_channels, time_features
        self.groups = (ctx - time_features) // in_channels if ctx else 0
        emb_dim = 4 * channels if emb_dim is None else emb_dim
        self.noise = NoiseEmbedding(emb_dim, features=channels)
        self.cond = Conditioning(emb_dim, num_classes, vector_dim, context_channels, p_uncond)
        side = 1 + (self.groups + 1 + time_features if ctx else 0)
        self.lift = nn.Conv2d(side, channels, 1)
        self.feature_embedding = None
        if feature_mixing == "attention":
            self.feature_embedding = nn.Parameter(0.02 * torch.randn(channels, in_channels, 1))
        cycle = tuple(int(d) for d in dilations)
        self.layers = nn.ModuleList(
            SeriesLayer(channels, emb_dim, side, cycle[i % len(cycle)], kernel, feature_mixing, heads)
            for i in range(depth)
        )
        self.head = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.SiLU(), nn.Conv2d(channels, 1, 1))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def side_input(self, x: Tensor, context: Tensor | None) -> Tensor:
        """Per-entry inputs (B, side, K, L): x, then the context groups, the indicator and the time covariates."""
        parts = [x[:, None]]
        if context is not None:
            b, k, l = x.shape
            groups = context[:, : self.groups * k].reshape(b, self.groups, k, l)
            per_time = context[:, self.groups * k :, None, :].expand(b, -1, k, l)
            parts += [groups, per_time[:, -1:], per_time[:, :-1]]
        return torch.cat(parts, dim=1)

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"x has shape {tuple(x.shape)}; SeriesNet expects (B, {self.in_channels}, L)")
        h = x.to(self.lift.weight.dtype)
        emb = self.noise(noise_levels(c_noise, h))
        extra, context = self.cond(h, cond)
        emb = F.silu(emb if extra is None else emb + extra)
        side = self.side_input(h, context)
        h = self.lift(side)
        if self.feature_embedding is not None:
            h = h + self.feature_embedding
        skips = 0.0
        for layer in self.layers:
            h, skip = layer(h, emb, side)
            skips = skips + skip
        out = self.head(F.silu(skips / math.sqrt(len(self.layers))))
        return out[:, 0].to(x.dtype)
