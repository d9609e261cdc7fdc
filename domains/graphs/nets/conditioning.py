"""Embedding of the noise level c (B,) and of an optional conditioning vector (B, k), with a learned null
embedding for classifier-free guidance (Ho & Salimans, "Classifier-Free Diffusion Guidance", 2022,
arXiv:2207.12598): the condition is replaced by the null embedding when it is None, and, in training mode,
independently per sample with probability ``p_uncond``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class SinusoidalEmbedding(nn.Module):
    """[sin(w_k c), cos(w_k c)] with frequencies w_k geometric from 1 to ``max_freq`` (dim/2 of them)."""

    def __init__(self, dim: int, max_freq: float = 1000.0) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"embedding dim must be even; got {dim}")
        freqs = torch.exp(torch.linspace(0.0, math.log(max_freq), dim // 2, dtype=torch.float64))
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, c: Tensor) -> Tensor:
        arg = c.reshape(-1, 1) * self.freqs.to(c.dtype)
        return torch.cat([arg.sin(), arg.cos()], -1)


class NoiseConditionEmbedding(nn.Module):
    """emb(c, y) = MLP(sinusoid(c)) + (W y, or the null vector when y is None or dropped), shape (B, dim)."""

    def __init__(self, dim: int, cond_dim: int = 0, p_uncond: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= p_uncond <= 1.0:
            raise ValueError(f"p_uncond must lie in [0, 1]; got {p_uncond}")
        self.cond_dim, self.p_uncond = cond_dim, p_uncond
        self.time = nn.Sequential(SinusoidalEmbedding(dim), nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.cond = nn.Linear(cond_dim, dim) if cond_dim else None
        self.null = nn.Parameter(torch.zeros(dim)) if cond_dim else None

    def forward(self, c: Tensor, cond: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        if c.dim() != 1:
            raise ValueError(f"the noise level c must have shape (B,); got {tuple(c.shape)}")
        emb = self.time(c)
        if self.cond is None:
            if cond is not None:
                raise ValueError("a conditioning vector was given, but the network was built with cond_dim=0")
            return emb
        if cond is None:
            return emb + self.null.to(emb.dtype)
        if cond.shape != (c.shape[0], self.cond_dim):
            raise ValueError(f"cond must have shape ({c.shape[0]}, {self.cond_dim}); got {tuple(cond.shape)}")
        y = self.cond(cond)
        if self.training and self.p_uncond > 0:
            drop = torch.rand(c.shape[0], generator=generator, device=c.device) < self.p_uncond
            y = torch.where(drop[:, None], self.null.to(y.dtype), y)
        return emb + y
