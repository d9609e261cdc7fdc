"""Built-in example mixtures: a ring of modes in the plane and random anisotropic mixtures."""

from __future__ import annotations

import math

import torch

from sciddiff.analytic.mixture import GaussianMixture

_F64 = torch.float64


def ring_mixture(n_modes: int = 8, radius: float = 2.0, std: float = 0.2) -> GaussianMixture:
    """Equal-weight isotropic modes evenly spaced on a circle in the plane."""
    angles = torch.arange(n_modes, dtype=_F64) * 2 * math.pi / n_modes
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture(torch.ones(n_modes, dtype=_F64), means, torch.full((n_modes,), std**2, dtype=_F64))


def random_mixture(
    dim: int = 16,
    n_components: int = 5,
    seed: int = 0,
    mean_scale: float = 1.5,
    eig_range: tuple[float, float] = (0.01, 1.0),
) -> GaussianMixture:
    """Random means (N(0, mean_scale^2)), random rotations, eigenvalues log-uniform in ``eig_range`` and
    weights uniform in [0.5, 1.5] before normalisation; reproducible from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    means = mean_scale * torch.randn(n_components, dim, generator=g, dtype=_F64)
    q, _ = torch.linalg.qr(torch.randn(n_components, dim, dim, generator=g, dtype=_F64))
    lo, hi = (math.log(v) for v in eig_range)
    eig = torch.exp(torch.empty(n_components, dim, dtype=_F64).uniform_(lo, hi, generator=g))
    weights = torch.rand(n_components, generator=g, dtype=_F64) + 0.5
    return GaussianMixture(weights, means, q @ torch.diag_embed(eig) @ q.transpose(1, 2))
