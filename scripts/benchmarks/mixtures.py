"""The benchmark's exact Gaussian mixtures (fixed by seed; never used to choose defaults)."""

from __future__ import annotations

import math

import torch

from sciddiff.analytic import GaussianMixture

F64 = torch.float64


def ring_2d(n_modes: int = 8, radius: float = 2.0, std: float = 0.2) -> GaussianMixture:
    """Equal-weight isotropic modes evenly spaced on a circle."""
    angles = torch.arange(n_modes, dtype=F64) * 2 * math.pi / n_modes
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture(torch.ones(n_modes, dtype=F64), means, torch.full((n_modes,), std**2, dtype=F64))


def anisotropic(dim: int = 16, n_components: int = 5, seed: int = 2026) -> GaussianMixture:
    """Random means (scale 1.5), random rotations and eigenvalues log-uniform in [0.01, 1], random weights."""
    g = torch.Generator().manual_seed(seed)
    means = 1.5 * torch.randn(n_components, dim, generator=g, dtype=F64)
    q, _ = torch.linalg.qr(torch.randn(n_components, dim, dim, generator=g, dtype=F64))
    eig = torch.exp(torch.empty(n_components, dim, dtype=F64).uniform_(math.log(0.01), 0.0, generator=g))
    covs = q @ torch.diag_embed(eig) @ q.transpose(1, 2)
    weights = torch.rand(n_components, generator=g, dtype=F64) + 0.5
    return GaussianMixture(weights, means, covs)


BENCHMARK_MIXTURES = {"ring-8 (d=2)": ring_2d, "anisotropic-5 (d=16)": anisotropic}
