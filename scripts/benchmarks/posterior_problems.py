"""Inverse problems with closed-form posteriors: Gaussian-mixture priors and random linear operators."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.analytic import GaussianMixture, grid_mixture, random_mixture, random_operator

F64 = torch.float64
NOISE_STD = 0.1


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
    prior = grid_mixture(dim, seed=seed) if family == "grid" else random_mixture(dim, 5, seed=seed)
    a = random_operator(m, dim, seed + 7)
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
