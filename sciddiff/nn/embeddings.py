"""Noise-level and position embeddings: sinusoidal and random Fourier features, and the MLP onto the model width."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


def _check_even(dim: int, what: str) -> None:
    if dim < 2 or dim % 2:
        raise ValueError(f"{what} needs an even dimension >= 2, got {dim}")


class SinusoidalEmbedding(nn.Module):
    """e(c) = [cos(s c f_i), sin(s c f_i)], f_i = max_period^(-i / (dim/2)), i = 0 .. dim/2 - 1.

    The positional encoding of Vaswani et al., "Attention Is All You Need" (2017, arXiv:1706.03762), as used for
    the time step by Ho et al., "Denoising Diffusion Probabilistic Models" (2020, arXiv:2006.11239). ``scale`` s
    multiplies the input (s = 1000 turns t in [0, 1] into DDPM's step index; s = 1 suits EDM's c_noise).
    """

    def __init__(self, dim: int, max_period: float = 10000.0, scale: float = 1.0) -> None:
        super().__init__()
        _check_even(dim, "SinusoidalEmbedding")
        if max_period <= 1:
            raise ValueError(f"max_period must be > 1, got {max_period}")
        self.dim, self.max_period, self.scale = dim, max_period, scale

    def forward(self, c: Tensor) -> Tensor:
        """(B,) -> (B, dim) in c's dtype."""
        return sinusoidal(self.scale * c, self.dim, self.max_period)


def sinusoidal(c: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """[cos(c f_i), sin(c f_i)] for (N,) -> (N, dim), f_i = max_period^(-i / (dim/2)), computed in c's dtype."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) / half * torch.arange(half, dtype=c.dtype, device=c.device))
    arg = c[:, None] * freqs
    return torch.cat([arg.cos(), arg.sin()], dim=1)


class FourierEmbedding(nn.Module):
    """e(c) = [cos(2 pi c f_i), sin(2 pi c f_i)] with fixed random frequencies f_i ~ N(0, scale^2).

    Tancik et al., "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional Domains"
    (2020, arXiv:2006.10739); used for the noise level by Song et al., "Score-Based Generative Modeling through
    Stochastic Differential Equations" (2021, arXiv:2011.13456). The frequencies are drawn from ``seed``.
    """

    def __init__(self, dim: int, scale: float = 16.0, seed: int = 0) -> None:
        super().__init__()
        _check_even(dim, "FourierEmbedding")
        if scale <= 0:
            raise ValueError(f"FourierEmbedding scale must be > 0, got {scale}")
        gen = torch.Generator().manual_seed(seed)
        freqs = scale * torch.randn(dim // 2, generator=gen, dtype=torch.float64)
        self.register_buffer("freqs", freqs.to(torch.get_default_dtype()))

    def forward(self, c: Tensor) -> Tensor:
        """(B,) -> (B, dim) in c's dtype."""
        arg = (2 * math.pi) * c[:, None] * self.freqs.to(c.dtype)
        return torch.cat([arg.cos(), arg.sin()], dim=1)


EMBEDDINGS: dict[str, type[nn.Module]] = {"sinusoidal": SinusoidalEmbedding, "fourier": FourierEmbedding}


class NoiseEmbedding(nn.Module):
    """c_noise (B,) -> features (sinusoidal or Fourier) -> Linear, SiLU, Linear -> (B, dim).

    The mapping network of Karras et al., "Elucidating the Design Space of Diffusion-Based Generative Models"
    (EDM, 2022, arXiv:2206.00364). ``scale`` is the input scale (sinusoidal, default 1) or the frequency
    standard deviation (Fourier, default 16).
    """

    def __init__(
        self, dim: int, kind: str = "sinusoidal", features: int | None = None, scale: float | None = None
    ) -> None:
        super().__init__()
        if kind not in EMBEDDINGS:
            raise ValueError(f"unknown noise embedding {kind!r}; choose one of {sorted(EMBEDDINGS)}")
        features = dim if features is None else features
        options = {} if scale is None else {"scale": scale}
        self.encode = EMBEDDINGS[kind](features, **options)
        self.mlp = nn.Sequential(nn.Linear(features, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, c_noise: Tensor) -> Tensor:
        return self.mlp(self.encode(c_noise))


def sinusoidal_positions(grid: Sequence[int], width: int, max_period: float = 10000.0) -> Tensor:
    """Fixed position embeddings (prod(grid), width) for a 1-D or 2-D grid of tokens, rows first.

    1-D: the sinusoidal encoding of the token index. 2-D: half the width encodes the row index and half the
    column index, as in DiT (Peebles & Xie, "Scalable Diffusion Models with Transformers", 2022, arXiv:2212.09748).
    """
    grid = tuple(grid)
    if len(grid) not in (1, 2):
        raise ValueError(f"position embeddings need a 1-D or 2-D token grid, got {grid}")
    if width % (2 * len(grid)):
        raise ValueError(f"width {width} must be divisible by {2 * len(grid)} for a {len(grid)}-D token grid")
    axes = torch.meshgrid(*(torch.arange(n, dtype=torch.float64) for n in grid), indexing="ij")
    out = torch.cat([sinusoidal(a.reshape(-1), width // len(grid), max_period) for a in axes], dim=1)
    return out.to(torch.get_default_dtype())
