"""Stochastic samplers: exact output moments on a Gaussian prior, and distributional checks on a mixture.

With a Gaussian prior the exact denoiser is affine, so every stochastic step is affine plus Gaussian noise and the
output is x_N = M x_0 + sum_k N_k xi_k + c. Running the sampler on basis perturbations of x_0 and of each noise
draw (a scripted noise source) recovers M and every N_k exactly, hence the exact output mean and covariance.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

import sciddiff
from sciddiff.analytic import Gaussian
from sciddiff.calibration import mode_weights, sliced_wasserstein
from sciddiff.processes import EDM, VP, Process
from sciddiff.state import NoiseSource
from tests.oracles import F64, separated_mixture


class ScriptedNoise(NoiseSource):
    """Returns prescribed noise: call k gives rows where each row holds a chosen unit vector or zero."""

    def __init__(self, batch: int, rows: dict[int, list[tuple[int, int]]], dim: int) -> None:
        super().__init__(None, batch)
        self.rows, self.dim, self.calls = rows, dim, 0

    def randn(self, shape, dtype=torch.float32) -> Tensor:  # type: ignore[no-untyped-def, override]
        out = torch.zeros(self.batch_size, self.dim, dtype=dtype)
        for row, j in self.rows.get(self.calls, []):
            out[row, j] = 1.0
        self.calls += 1
        return out


def exact_output_moments(
    process: Process, prior: object, mean0: Tensor, cov0: Tensor, solver: str, steps: int, **options: object
) -> tuple[Tensor, Tensor]:
    """Mean and covariance of the sampler output for x_0 ~ N(mean0, cov0), from basis perturbations."""
    d = mean0.shape[0]
    den = prior.denoiser(process)  # type: ignore[attr-defined]
    counter = ScriptedNoise(1, {}, d)
    sciddiff.sample(
        den,
        process,
        mean0[None],
        solver,
        steps,
        generator=counter,
        grid="uniform_logsnr",
        denoise_final=False,
        **options,
    )
    n_draws = counter.calls
    batch = 1 + d + n_draws * d
    rows: dict[int, list[tuple[int, int]]] = {}
    for k in range(n_draws):
        rows[k] = [(1 + d + k * d + j, j) for j in range(d)]
    x0 = mean0.expand(batch, d).clone()
    x0[1 : 1 + d] += torch.eye(d, dtype=F64)
    out = sciddiff.sample(
        den,
        process,
        x0,
        solver,
        steps,
        generator=ScriptedNoise(batch, rows, d),
        grid="uniform_logsnr",
        denoise_final=False,
        **options,
    )
    mean = out[0]
    m = (out[1 : 1 + d] - mean).T  # columns M e_j
    noise_cols = (out[1 + d :] - mean).T  # columns N_k e_j
    cov = m @ cov0 @ m.T + noise_cols @ noise_cols.T
    return mean, cov


STOCHASTIC = [
    ("ddpm", {}),
    ("ddim", {"eta": 0.5}),
    ("dpmpp_2m_sde", {}),
    ("em", {}),
    ("pc", {}),
    ("euler", {"churn": 10.0}),
    ("heun", {"churn": 10.0}),
]


@pytest.mark.parametrize("name,options", STOCHASTIC, ids=[s[0] for s in STOCHASTIC])
@pytest.mark.parametrize("process", [VP(), EDM()], ids=["VP", "EDM"])
def test_weak_convergence_on_gaussian(process: Process, name: str, options: dict) -> None:
    """Exact output moments converge to the exact marginal at t_min, at weak order about 1 or better."""
    mean_data = torch.tensor([1.0, -0.5], dtype=F64)
    cov_data = torch.tensor([[0.8, 0.3], [0.3, 0.5]], dtype=F64)
    prior = Gaussian(mean_data, cov_data)
    start, end = (prior.marginal(process, t) for t in (process.t_max, process.t_min))
    errors = []
    for steps in (32, 64, 128):
        mean, cov = exact_output_moments(process, prior, start.means[0], start.covs[0], name, steps, **options)
        errors.append(float((mean - end.means[0]).norm() + (cov - end.covs[0]).norm()))
    order = float(-np.polyfit(np.log([32, 64, 128]), np.log(errors), 1)[0])
    assert order > 0.85, f"{name}: moment errors {errors}, weak order {order:.2f}"
    assert errors[-1] < 0.1 * float(end.covs[0].norm()), errors


def test_scripted_moments_match_monte_carlo() -> None:
    """The basis-perturbation moments agree with plain Monte Carlo (guards the test machinery itself)."""
    process = VP()
    prior = Gaussian(torch.tensor([0.5, 0.0], dtype=F64), torch.tensor([[0.6, 0.2], [0.2, 0.9]], dtype=F64))
    start = prior.marginal(process, process.t_max)
    mean, cov = exact_output_moments(process, prior, start.means[0], start.covs[0], "ddpm", 8)
    n = 40000
    x0 = start.sample(n, generator=11, dtype=F64)
    out = sciddiff.sample(
        prior.denoiser(process), process, x0, "ddpm", 8, generator=12, grid="uniform_logsnr", denoise_final=False
    )
    se = (torch.diagonal(cov) / n).sqrt()
    assert ((out.mean(0) - mean).abs() < 5 * se).all()
    assert torch.allclose(torch.cov(out.T), cov, atol=5 * float(cov.abs().max()) * (2 / n) ** 0.5)


MIXTURE_SAMPLERS = [
    ("ddpm", {}, 200),
    ("em", {}, 400),
    ("pc", {}, 200),
    ("dpmpp_2m_sde", {}, 100),
    ("euler", {"churn": 20.0}, 200),
]


@pytest.mark.parametrize("name,options,steps", MIXTURE_SAMPLERS, ids=[s[0] for s in MIXTURE_SAMPLERS])
def test_mixture_in_distribution(name: str, options: dict, steps: int) -> None:
    """Sliced W2 to exact samples within 1.5x the two-sample floor, and mode weights within 0.04."""
    process, mix, n = VP(), separated_mixture(), 3000
    exact_a = mix.sample(n, generator=1, dtype=F64)
    exact_b = mix.sample(n, generator=2, dtype=F64)
    floor = sliced_wasserstein(exact_a, exact_b)
    x = process.prior_sample((n, 2), generator=3, dtype=F64)
    out = sciddiff.sample(mix.denoiser(process), process, x, name, steps, generator=4, **options)
    sw = sliced_wasserstein(out, exact_a)
    weights = mode_weights(out, mix.responsibilities(out))
    assert sw < 1.5 * floor + 0.01, f"{name}: sliced W2 {sw:.4f}, floor {floor:.4f}"
    assert (weights - mix.weights).abs().max() < 0.04, f"{name}: mode weights {weights.tolist()}"


def test_deterministic_solver_in_distribution() -> None:
    """A converged ODE sampler also reproduces the mixture (same criterion, tight floor multiple)."""
    process, mix, n = VP(), separated_mixture(), 3000
    exact_a, exact_b = (mix.sample(n, generator=g, dtype=F64) for g in (1, 2))
    x = process.prior_sample((n, 2), generator=3, dtype=F64)
    out = sciddiff.sample(mix.denoiser(process), process, x, "dpmpp_3m", 60)
    assert sliced_wasserstein(out, exact_a) < 1.5 * sliced_wasserstein(exact_a, exact_b) + 0.01
