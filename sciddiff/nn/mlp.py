"""A residual MLP on flat vectors (B, dim), with the noise embedding injected into every block by FiLM."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sciddiff.nn.conditioning import Conditioning, noise_levels
from sciddiff.nn.embeddings import NoiseEmbedding


class FiLMBlock(nn.Module):
    """h + W2 SiLU(W1 (LN(h) (1 + scale(e)) + shift(e))): a pre-norm residual block modulated by the embedding e.

    FiLM: Perez et al., "FiLM: Visual Reasoning with a General Conditioning Layer" (2018, arXiv:1709.07871).
    """

    def __init__(self, hidden: int, emb_dim: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.film = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * hidden))
        self.body = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden))

    def forward(self, h: Tensor, emb: Tensor) -> Tensor:
        scale, shift = self.film(emb).chunk(2, dim=1)
        return h + self.body(self.norm(h) * (1 + scale) + shift)


class MLP(nn.Module):
    """F(x, c_noise, **cond) on (B, dim): Linear in, ``depth`` FiLM residual blocks, LayerNorm, zero-init Linear out.

    The noise level goes through :class:`NoiseEmbedding`; label/vector conditions add to that embedding, and a
    context (B, context_channels) is concatenated to x with its indicator. Computes in the parameters' dtype and
    returns x's dtype; the zero-initialised output layer makes a fresh network output exactly 0.
    """

    def __init__(
        self,
        dim: int,
        hidden: int = 256,
        depth: int = 4,
        emb_dim: int = 128,
        out_dim: int | None = None,
        dropout: float = 0.0,
        embedding: str = "sinusoidal",
        num_classes: int | None = None,
        vector_dim: int | None = None,
        context_channels: int | None = None,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (("dim", dim), ("hidden", hidden), ("depth", depth), ("emb_dim", emb_dim)):
            if value < 1:
                raise ValueError(f"MLP {name} must be >= 1, got {value}")
        self.dim, self.out_dim = dim, dim if out_dim is None else out_dim
        self.noise = NoiseEmbedding(emb_dim, embedding)
        self.cond = Conditioning(emb_dim, num_classes, vector_dim, context_channels, p_uncond)
        self.inp = nn.Linear(dim + self.cond.extra_channels, hidden)
        self.blocks = nn.ModuleList(FiLMBlock(hidden, emb_dim, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, self.out_dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x has shape {tuple(x.shape)}; MLP(dim={self.dim}) expects (B, {self.dim})")
        h = x.to(self.out.weight.dtype)
        emb = self.noise(noise_levels(c_noise, h))
        extra_emb, context = self.cond(h, cond)
        if extra_emb is not None:
            emb = emb + extra_emb
        if context is not None:
            h = torch.cat([h, context], dim=1)
        h = self.inp(h)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(self.norm(h)).to(x.dtype)
