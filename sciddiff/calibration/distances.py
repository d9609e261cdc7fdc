"""Sample-based distances between distributions, with their two-sample noise floor."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.state import NoiseSource


def sliced_wasserstein(a: Tensor, b: Tensor, n_projections: int = 256, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance between two equal-size samples (n, ...) along random unit directions.

    SW2^2 = E_theta W2^2(theta^T a, theta^T b), each 1-D W2 from sorted projections. Rabin et al., "Wasserstein
    Barycenter and its Application to Texture Mixing" (2011); Bonneel et al. (2015).
    """
    x, y = a.reshape(a.shape[0], -1).to(torch.float64), b.reshape(b.shape[0], -1).to(torch.float64)
    if x.shape != y.shape:
        raise ValueError(f"sliced_wasserstein needs samples of equal shape; got {tuple(x.shape)} and {tuple(y.shape)}")
    theta = NoiseSource(torch.Generator().manual_seed(seed), n_projections).randn((x.shape[1],), torch.float64)
    theta = theta / theta.norm(dim=1, keepdim=True)
    px, _ = torch.sort(x @ theta.T, dim=0)
    py, _ = torch.sort(y @ theta.T, dim=0)
    return float(((px - py) ** 2).mean().sqrt())


def mode_weights(x: Tensor, responsibilities: Tensor) -> Tensor:
    """Fraction of samples assigned to each mode by their largest responsibility (n, K) -> (K,)."""
    k = responsibilities.shape[1]
    counts = torch.bincount(responsibilities.argmax(dim=1), minlength=k).to(torch.float64)
    return counts / x.shape[0]


def total_variation(p: Tensor, q: Tensor) -> float:
    """Total variation distance between two discrete distributions: sum |p - q| / 2."""
    return float(0.5 * (p.to(torch.float64) - q.to(torch.float64)).abs().sum())
