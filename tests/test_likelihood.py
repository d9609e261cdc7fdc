"""Probability-flow log-likelihood against the exact log-density of a Gaussian mixture."""

from __future__ import annotations

import math

import pytest
import torch

from sciddiff import log_likelihood
from sciddiff.processes import EDM, VE, VP, Flow, Process, VPCosine
from sciddiff.state import StateSpec, ZeroCenterOfMass
from tests.oracles import F64, smooth_mixture


@pytest.mark.parametrize("process", [VP(), VPCosine(), VE(), EDM(), Flow()], ids=lambda p: type(p).__name__)
def test_matches_exact_log_density(process: Process) -> None:
    """With the exact marginal at t_max as the prior, the ODE likelihood equals log p_{t_min}(x) to 1e-6."""
    mix = smooth_mixture()
    x = mix.sample(12, generator=1, dtype=F64)
    exact = mix.log_prob(x, process, process.t_min)
    log_p, info = log_likelihood(
        mix.denoiser(process),
        process,
        x,
        rtol=1e-8,
        atol=1e-8,
        return_info=True,
        prior_log_prob=lambda z: mix.log_prob(z, process, process.t_max),
    )
    assert (log_p - exact).abs().max() < 1e-6
    assert torch.allclose(info.bits_per_dim, -exact / (2 * math.log(2)), atol=1e-6)
    assert info.cost.vjp == 2 * info.cost.nfe


def test_default_prior_error_is_the_prior_mismatch() -> None:
    """With the reference prior N(0, sigma_max^2 I) the error equals log p_{t_max}(x_T) - log N(x_T), x_T the
    ODE image of x; here it is below 0.05 nats."""
    process, mix = VP(), smooth_mixture()
    x = mix.sample(12, generator=2, dtype=F64)
    log_p = log_likelihood(mix.denoiser(process), process, x, rtol=1e-8, atol=1e-8)
    assert (log_p - mix.log_prob(x, process, process.t_min)).abs().max() < 0.05


def test_hutchinson_is_unbiased() -> None:
    process, mix = EDM(), smooth_mixture()
    x = mix.sample(4, generator=3, dtype=F64).repeat(50, 1)
    exact = log_likelihood(mix.denoiser(process), process, x[:4], divergence="exact")
    est = log_likelihood(mix.denoiser(process), process, x, divergence="hutchinson", n_probes=2, generator=7)
    est = est.reshape(50, 4)
    se = est.std(0) / math.sqrt(50)
    assert ((est.mean(0) - exact).abs() < 5 * se + 1e-3).all()
    assert (est.std(0) > 0).all()


def test_gradient_is_the_score() -> None:
    """d log p / dx through the kept graph equals the exact score at t_min."""
    process, mix = Flow(), smooth_mixture()
    x = mix.sample(6, generator=4, dtype=F64).requires_grad_(True)
    log_p = log_likelihood(
        mix.denoiser(process),
        process,
        x,
        keep_graph=True,
        rtol=1e-8,
        atol=1e-8,
        prior_log_prob=lambda z: mix.log_prob(z, process, process.t_max),
    )
    (grad,) = torch.autograd.grad(log_p.sum(), x)
    assert torch.allclose(grad, mix.score(x.detach(), process, process.t_min), atol=1e-5)


def test_zero_centre_of_mass_subspace() -> None:
    """For isotropic Gaussian data restricted to the zero-CoM subspace, the likelihood counts (n-1)*3 dims."""
    process, n = EDM(), 4
    spec = StateSpec.tensor((n, 3), [ZeroCenterOfMass()])
    v = 0.7

    def den(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x * (v / (v + t**2))[:, None, None]

    x = spec.project(torch.randn(5, n, 3, dtype=F64, generator=torch.Generator().manual_seed(0)))
    dim = (n - 1) * 3
    log_p = log_likelihood(den, process, x, spec=spec, rtol=1e-8, atol=1e-8)
    var = v + process.t_min**2
    var_max = v + process.t_max**2
    exact = -0.5 * (x**2).sum((1, 2)) / var - 0.5 * dim * math.log(2 * math.pi * var)
    correction = 0.5 * dim * (math.log(process.t_max**2 / var_max))  # prior N(0, t_max^2) vs exact N(0, var_max)
    assert (log_p - exact).abs().max() < abs(correction) + 1e-3
    exact_prior = log_likelihood(
        den,
        process,
        x,
        spec=spec,
        rtol=1e-8,
        atol=1e-8,
        prior_log_prob=lambda z: -0.5 * (z**2).sum((1, 2)) / var_max - 0.5 * dim * math.log(2 * math.pi * var_max),
    )
    assert (exact_prior - exact).abs().max() < 1e-6


def test_errors() -> None:
    process, mix = VP(), smooth_mixture()
    x = mix.sample(2, generator=0, dtype=F64)
    with pytest.raises(ValueError, match="divergence"):
        log_likelihood(mix.denoiser(process), process, x, divergence="skilling")
    with pytest.raises(ValueError, match="non-finite"):
        log_likelihood(mix.denoiser(process), process, x * math.inf)
