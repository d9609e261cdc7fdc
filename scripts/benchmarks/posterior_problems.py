"""Inverse problems with closed-form posteriors: Gaussian-mixture priors and random linear operators."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.analytic import GaussianMixture, random_mixture

F64 = torch.float64
NOISE_STD = 0.1


def grid_mixture(dim: int, seed: int) -> GaussianMixture:
    """25 isotropic modes (variance 0.1) at means (2i, 2j, 2i, 2j, ...), i, j in -2..2, random weights."""
    ij = torch.tensor(list(itertools.product(range(-2, 3), repeat=2)), dtype=F64) * 2.0
    means = ij.repeat(1, dim // 2)
    g = torch.Generator().manual_seed(seed)
    return GaussianMixture(torch.rand(25, generator=g, dtype=F64) + 0.5, means, torch.full((25,), 0.1, dtype=F64))


def sorted_operator(m: int, d: int, seed: int) -> Tensor:
    """A = U diag(s) V^T with random orthogonal U, V and singular values sorted in decreasing order in [0.5, 2]."""
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(m, m, generator=g, dtype=F64))
    v, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=F64))
    s, _ = torch.sort(0.5 + 1.5 * torch.rand(m, generator=g, dtype=F64), descending=True)
    return u @ torch.diag(s) @ v[:, :m].T


@dataclass
class Instance:
    prior: GaussianMixture
    matrix: Tensor
    truth: Tensor
    y: Tensor
    posterior: GaussianMixture


def instance(family: str, dim: int, m: int, index: int) -> Instance:
    """Instance ``index`` of a problem family; every random choice is seeded by (family, dim, m, index)."""
    seed = 1_000_000 * (1 + ("grid", "anisotropic").index(family)) + 10_000 * dim + 100 * m + index
    prior = grid_mixture(dim, seed) if family == "grid" else random_mixture(dim, 5, seed=seed)
    a = sorted_operator(m, dim, seed + 7)
    truth = prior.sample(1, generator=seed + 11, dtype=F64)[0]
    noise = NOISE_STD * torch.randn(m, generator=torch.Generator().manual_seed(seed + 13), dtype=F64)
    y = a @ truth + noise
    return Instance(prior, a, truth, y, prior.posterior(a, y, NOISE_STD**2))


def exact_trace(post: GaussianMixture) -> float:
    return float(torch.trace(post.covariance()))


def log_posterior(post: GaussianMixture, x: Tensor) -> Tensor:
    return post.log_prob(x)


def hpd_level(post: GaussianMixture, truth: Tensor, samples: Tensor) -> float:
    """Fraction of samples with a higher exact posterior density than the truth."""
    return float((post.log_prob(samples) > post.log_prob(truth[None])).to(F64).mean())


def digits(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.2f}"
