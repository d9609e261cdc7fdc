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


FIELD = 32


def field_prior(seed: int) -> GaussianMixture:
    """Four smooth 32x32 templates (sums of 6 random low-frequency cosines, unit amplitude) plus isotropic white
    noise of variance 0.05: an exact Gaussian mixture in d = 1024 with the isotropic fast path."""
    g = torch.Generator().manual_seed(seed)
    coords = torch.arange(FIELD, dtype=F64) / FIELD
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    templates = []
    for _ in range(4):
        field = torch.zeros(FIELD, FIELD, dtype=F64)
        for _ in range(6):
            kx, ky = torch.randint(0, 4, (2,), generator=g).tolist()
            phase = 2 * math.pi * float(torch.rand(1, generator=g, dtype=F64))
            field = field + torch.cos(2 * math.pi * (kx * xx + ky * yy) + phase)
        templates.append(field / field.abs().max())
    means = torch.stack(templates).reshape(4, -1)
    return GaussianMixture(
        torch.rand(4, generator=g, dtype=F64) + 0.5,
        means,
        torch.full((4,), 0.05, dtype=F64),
        event_shape=(FIELD, FIELD),
    )


def field_operator(kind: str, seed: int) -> object:
    """Masking (30% of pixels), Gaussian blur (std 1.5 px) or partial Fourier (variable density, 4x)."""
    from sciddiff.operators import Blur, Mask, PartialFourier, variable_density_mask

    shape = (FIELD, FIELD)
    if kind == "mask":
        return Mask.random(shape, 0.3, seed=seed)
    if kind == "blur":
        return Blur.gaussian(shape, 1.5)
    if kind == "fourier":
        return PartialFourier(variable_density_mask(shape, acceleration=4, seed=seed), shape)
    raise ValueError(f"unknown field operator {kind!r}")


def field_instance(kind: str, index: int) -> Instance:
    """A 32x32 field problem; the exact posterior uses the operator's dense matrix."""
    seed = 3_000_000 + 1000 * ("mask", "blur", "fourier").index(kind) + index
    prior = field_prior(seed)
    op = field_operator(kind, seed + 1)
    truth = prior.sample(1, generator=seed + 2, dtype=F64)[0]
    clean = op(truth[None])[0]
    y = clean + NOISE_STD * torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed + 3), dtype=F64)
    a = op.dense()
    return Instance(prior, op, truth.reshape(-1), y, prior.posterior(a, y.reshape(-1), NOISE_STD**2))
