"""SMC internals against exact answers: the moment-matched kernels, the final systematic draw, option errors."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import Tensor

import sciddiff
from sciddiff.analytic import Gaussian
from sciddiff.guidance.posterior import _draw
from sciddiff.processes import VP

F64 = torch.float64


def _gaussian(diagonal: bool) -> tuple:
    g = torch.Generator().manual_seed(11)
    d = 4
    mean = torch.randn(d, generator=g, dtype=F64)
    if diagonal:
        cov = torch.diag(torch.tensor([0.3, 1.0, 2.0, 0.05], dtype=F64))
    else:
        l_ = torch.randn(d, d, generator=g, dtype=F64)
        cov = l_ @ l_.T / d + 0.2 * torch.eye(d, dtype=F64)
    a = torch.randn(1, d, generator=g, dtype=F64)
    y = torch.randn(1, generator=g, dtype=F64)
    return Gaussian(mean, cov), a, y


def _cov_error(kernel: str, diagonal: bool, steps: int) -> float:
    prior, a, y = _gaussian(diagonal)
    sy, process = 0.3, VP()
    post = prior.posterior(a, y, sy**2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ancestral kernel's residual warning at 10 steps
        xs = sciddiff.posterior_sample(
            prior.denoiser(process),
            process,
            a,
            y,
            sy,
            "smc",
            steps=steps,
            n_samples=8000,
            generator=torch.Generator().manual_seed(1),  # one stream: fast for many particles
            kernel=kernel,
        )
    return float((torch.cov(xs.T) - post.covs[0]).norm() / post.covs[0].norm())


@pytest.mark.parametrize(("kernel", "diagonal"), [("full", False), ("diagonal", True), ("auto", False)])
def test_moment_matched_kernel_is_exact_for_gaussian_priors(kernel: str, diagonal: bool) -> None:
    """For a Gaussian prior p(x' | x) is Gaussian with mean c_x x + c_d E[x0|x] and covariance
    c_n^2 I + c_d^2 Cov[x0|x] (the diagonal kernel is that one when the prior's covariance is diagonal): SMC is then
    exact at any step count, up to Monte Carlo error (~0.03 for 8000 particles), while the ancestral kernel
    (c_d^2 Cov dropped) is far too narrow at 10 steps. In 4 dimensions "auto" is the full kernel."""
    exact, ancestral = _cov_error(kernel, diagonal, 10), _cov_error("ddpm", diagonal, 10)
    assert exact < 0.08 and ancestral > 0.3, (exact, ancestral)


def test_diagonal_kernel_is_approximate_for_correlated_priors() -> None:
    """With a correlated prior the diagonal kernel keeps a bias that the full kernel removes."""
    diag, full = _cov_error("diagonal", False, 10), _cov_error("full", False, 10)
    assert diag > 2 * full, (diag, full)


def test_final_draw_is_systematic() -> None:
    """Equal weights: every particle comes back exactly once; otherwise particle j comes back floor(n w_j) or
    ceil(n w_j) times, in a seeded random order."""
    particles = torch.arange(50, dtype=F64)[:, None]
    out = _draw(particles, torch.zeros(50, dtype=F64), 50, 3)
    assert torch.equal(torch.sort(out[:, 0]).values, particles[:, 0])
    assert not torch.equal(out, particles)  # shuffled
    w = torch.softmax(torch.randn(50, generator=torch.Generator().manual_seed(0), dtype=F64), 0)
    out = _draw(particles, w.log(), 120, 4)
    counts = torch.bincount(out[:, 0].long(), minlength=50).to(F64)
    assert ((counts - 120 * w).abs() < 1 + 1e-9).all() and counts.sum() == 120
    assert torch.equal(out, _draw(particles, w.log(), 120, 4))


def test_kernel_needing_a_covariance_refuses_a_plain_denoiser() -> None:
    prior, a, y = _gaussian(False)
    process = VP()
    den = prior.denoiser(process)

    def plain(x: Tensor, t: Tensor) -> Tensor:
        return den(x, t).mean

    with pytest.raises(ValueError, match=r"kernel='full' needs the denoiser's Cov\[x0 \| x_t\] with a \.dense\(\)"):
        sciddiff.posterior_sample(plain, process, a, y, 0.3, "smc", steps=5, n_samples=8, kernel="full")
    with pytest.raises(ValueError, match="smc kernel must be one of"):
        sciddiff.posterior_sample(plain, process, a, y, 0.3, "smc", steps=5, n_samples=8, kernel="exact")
    xs = sciddiff.posterior_sample(plain, process, a, y, 0.3, "smc", steps=5, n_samples=8, generator=0)
    assert torch.isfinite(xs).all()  # kernel="auto" falls back to the ancestral kernel
