"""The nonlinear-inverse-problem baselines against the closed-form linear-Gaussian posterior, and EnKG on the
Navier-Stokes black box against them."""

from __future__ import annotations

import math

import pytest
import torch
from sciddiff.domains.fields.baselines import es_mda, variational_map
from sciddiff.domains.fields.problems import navier_stokes_operator
from sciddiff.domains.fields.simulators.grf import periodic_colour

import sciddiff
from sciddiff.analytic import Gaussian
from sciddiff.processes import VP

F64 = torch.float64


def linear_gaussian(seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    a, root = torch.randn(5, 8, generator=g, dtype=F64), torch.randn(8, 8, generator=g, dtype=F64) / 3
    x = root @ torch.randn(8, generator=g, dtype=F64)
    s = 0.3
    y = a @ x + s * torch.randn(5, generator=g, dtype=F64)
    cov = root @ root.T
    gain = cov @ a.T @ torch.linalg.inv(a @ cov @ a.T + s**2 * torch.eye(5, dtype=F64))
    return a, root, y, torch.tensor(s), gain @ y, cov - gain @ a @ cov


def test_variational_map_is_the_posterior_mean_for_a_linear_model() -> None:
    a, root, y, s, mean, _ = linear_gaussian()
    est = variational_map(lambda x: x @ a.T, lambda z: z @ root.T, y, float(s), (8,), iterations=100)
    torch.testing.assert_close(est, mean, atol=1e-6, rtol=0)


def test_es_mda_matches_the_posterior_mean_and_covariance_for_a_linear_model() -> None:
    a, root, y, s, mean, cov = linear_gaussian()
    prior = torch.randn(40000, 8, generator=torch.Generator().manual_seed(1), dtype=F64) @ root.T
    post = es_mda(lambda x: x @ a.T, prior, y, float(s), iterations=4, seed=2)
    scale = cov.diag().sqrt()
    assert float(((post.mean(0) - mean) / scale).abs().max()) < 0.05
    torch.testing.assert_close(torch.cov(post.T), cov, atol=0.05 * float(cov.diag().max()), rtol=0)
    assert float((torch.cov(prior.T) - cov).abs().max()) > 0.2 * float(cov.diag().max())  # the update mattered


def test_es_mda_refuses_a_single_member() -> None:
    with pytest.raises(ValueError, match="needs iterations >= 1 and >= 2 members, got 4 and 1"):
        es_mda(lambda x: x, torch.zeros(1, 3), torch.zeros(3), 0.1)


def test_enkg_on_the_navier_stokes_black_box_agrees_with_4dvar_and_es_mda() -> None:
    """w0 on an 8x8 torus from 2x block means of w(t = 0.2) under the exact GRF prior: nearly linear, so the
    posterior mean of derivative-free EnKG (the simulator as a black box), the ES-MDA ensemble mean and the 4D-Var
    MAP (adjoint through the simulator) must agree, far closer than they are to the truth."""
    size, s = 8, 0.02
    colour = periodic_colour(size, 2.5, 7.0, math.sqrt(2) * 7.0**1.5)
    root = colour(torch.eye(size * size, dtype=F64).reshape(-1, size, size)).reshape(size * size, -1).T
    prior = Gaussian(torch.zeros(size * size, dtype=F64), root @ root.T + 1e-6 * torch.eye(64, dtype=F64), (1, 8, 8))
    kw = {"observe": "coarse", "factor": 2, "t_final": 0.2, "dt": 0.05}
    op = navier_stokes_operator((1, size, size), kw, 1e-3)
    g = torch.Generator().manual_seed(0)
    truth = colour(torch.randn(1, size, size, generator=g, dtype=F64))
    y = op.forward(truth[:, None])[0] + s * torch.randn(op.out_shape, generator=g, dtype=F64)

    def forward(w: torch.Tensor) -> torch.Tensor:
        return op.forward(w[:, None]).reshape(len(w), *op.out_shape)

    map_ = variational_map(forward, colour, y[None], s, (size, size), 200)
    ensemble = es_mda(forward, colour(torch.randn(4000, size, size, generator=g, dtype=F64)), y, s, 4, 1).mean(0)
    den = prior.denoiser(VP())
    xs = sciddiff.posterior_sample(lambda x, t: den(x, t).mean, VP(), op, y, s, "enkg", 50, 500, generator=3)
    rel = lambda a: float((a - map_).norm() / map_.norm())  # noqa: E731
    assert rel(xs.mean(0)[0]) < 0.05 and rel(ensemble) < 0.06
    assert rel(truth[0]) > 0.3  # the observation leaves real uncertainty: the agreement is not trivial
