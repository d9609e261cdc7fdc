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


def grid_mixture(dim: int = 8, spacing: float = 2.0, variance: float = 0.1, seed: int = 0) -> GaussianMixture:
    """25 isotropic modes at means spacing * (i, j, i, j, ...), i, j in -2..2, random weights in [0.5, 1.5]
    (the multimodal benchmark of Cardoso et al. 2023, arXiv:2308.07983, at a smaller scale). ``dim`` is even."""
    if dim < 2 or dim % 2:
        raise ValueError(f"grid_mixture needs an even dim >= 2, got {dim}")
    ij = torch.tensor([(i, j) for i in range(-2, 3) for j in range(-2, 3)], dtype=_F64) * spacing
    g = torch.Generator().manual_seed(seed)
    return GaussianMixture(
        torch.rand(25, generator=g, dtype=_F64) + 0.5, ij.repeat(1, dim // 2), torch.full((25,), variance, dtype=_F64)
    )


def random_operator(m: int, d: int, seed: int = 0, singular_values: tuple[float, float] = (0.5, 2.0)) -> torch.Tensor:
    """A = U diag(s) V^T (m x d, m <= d) with random orthogonal U, V and singular values drawn uniformly in
    ``singular_values`` and sorted in decreasing order."""
    if not 1 <= m <= d:
        raise ValueError(f"random_operator needs 1 <= m <= d, got m={m}, d={d}")
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(m, m, generator=g, dtype=_F64))
    v, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=_F64))
    lo, hi = singular_values
    s, _ = torch.sort(lo + (hi - lo) * torch.rand(m, generator=g, dtype=_F64), descending=True)
    return u @ torch.diag(s) @ v[:, :m].T
