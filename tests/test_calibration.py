"""Calibration tools: they accept an exact posterior sampler and reject miscalibrated ones."""

from __future__ import annotations

import math

import torch
from scipy import stats

from sciddiff.analytic import Gaussian
from sciddiff.calibration import (
    coverage_curve,
    hpd_levels,
    projections,
    residual_chi2,
    sbc_ranks,
    sliced_wasserstein,
    tarp_levels,
)
from sciddiff.operators import GaussianNoise, Matrix

F64 = torch.float64


def _problem(n: int, l_: int, shrink: float, seed: int = 0) -> tuple:
    """n (truth, y) pairs from a Gaussian prior and a linear model, with L posterior draws each from the exact
    posterior, its spread scaled by ``shrink`` (1 = calibrated)."""
    g = torch.Generator().manual_seed(seed)
    prior = Gaussian(torch.tensor([0.5, -0.5, 0.0], dtype=F64), torch.tensor([1.0, 0.5, 2.0], dtype=F64))
    a = torch.randn(2, 3, generator=g, dtype=F64)
    truths = prior.sample(n, generator=seed + 1, dtype=F64)
    ys = truths @ a.T + 0.3 * torch.randn(n, 2, generator=g, dtype=F64)
    samples, posts = [], []
    for i in range(n):
        post = prior.posterior(a, ys[i], 0.09)
        draws = post.sample(l_, generator=1000 * seed + i, dtype=F64)
        samples.append(post.means[0] + shrink * (draws - post.means[0]))
        posts.append(post)
    return truths, torch.stack(samples), posts, a, ys


def test_sbc_uniform_for_exact_and_not_for_overconfident() -> None:
    truths, samples, *_ = _problem(400, 99, 1.0)
    good = sbc_ranks(truths, samples, generator=torch.Generator().manual_seed(0))
    assert good.ranks.min() >= 0 and good.ranks.max() <= 99
    assert (good.p_values > 1e-3).all()
    truths, samples, *_ = _problem(400, 99, 0.5)
    bad = sbc_ranks(truths, samples, statistic=projections(3, 4), generator=torch.Generator().manual_seed(0))
    assert (bad.p_values < 1e-6).all()


def test_sbc_ranks_by_hand() -> None:
    truths = torch.tensor([[0.5], [2.0]], dtype=F64)
    samples = torch.tensor([[[0.1], [0.7], [0.2]], [[5.0], [3.0], [1.0]]], dtype=F64)
    result = sbc_ranks(truths, samples)
    assert result.ranks[:, 0].tolist() == [2, 1]


def test_hpd_and_tarp_coverage() -> None:
    truths, samples, posts, *_ = _problem(300, 200, 1.0, seed=2)
    levels = hpd_levels(lambda i, x: posts[i].log_prob(x), truths, samples)
    alphas, cov = coverage_curve(levels, torch.tensor([0.5, 0.9], dtype=F64))
    assert (cov - alphas).abs().max() < 0.08
    assert stats.kstest(levels.numpy(), "uniform").pvalue > 1e-3
    refs = torch.randn(truths.shape, dtype=F64, generator=torch.Generator().manual_seed(3)) * 2  # independent of truths
    tarp = tarp_levels(truths, samples, refs)
    assert stats.kstest(tarp.numpy(), "uniform").pvalue > 1e-3
    truths, samples, posts, *_ = _problem(300, 200, 0.4, seed=2)
    narrow = hpd_levels(lambda i, x: posts[i].log_prob(x), truths, samples)
    _, cov = coverage_curve(narrow, torch.tensor([0.9], dtype=F64))
    assert cov[0] < 0.6


def test_residual_chi2_distribution() -> None:
    """For x = the truth, (y - A x)^T Sigma^-1 (y - A x) is chi-square with m degrees of freedom."""
    g = torch.Generator().manual_seed(5)
    a = torch.randn(6, 4, generator=g, dtype=F64)
    x = torch.randn(4, generator=g, dtype=F64)
    noise = GaussianNoise(torch.tensor(0.2, dtype=F64), shape=(6,))
    chis = []
    for _k in range(2000):
        y = a @ x + 0.2 * torch.randn(6, generator=g, dtype=F64)
        chis.append(residual_chi2(Matrix(a), y, x[None], noise).chi2[0])
    chis = torch.stack(chis)
    assert stats.kstest(chis.numpy(), "chi2", args=(6,)).pvalue > 1e-3
    res = residual_chi2(Matrix(a), a @ x + 0.2, x[None], noise)
    assert math.isclose(float(res.chi2[0]), 6.0, rel_tol=1e-10) and res.dof == 6


def test_sliced_wasserstein_of_shifted_gaussians() -> None:
    """SW2 between N(0, I) and N(mu, I) tends to |mu| / sqrt(d) for large samples."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 3, generator=g, dtype=F64)
    b = torch.randn(20000, 3, generator=g, dtype=F64) + torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    assert abs(sliced_wasserstein(a, b, 512) - 1 / math.sqrt(3)) < 0.03
