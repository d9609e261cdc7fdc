"""Gaussian random fields: empirical spectra against the eigenvalues of (-Laplacian + tau^2)^(-alpha)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sciddiff.domains.fields.simulators.grf import (
    neumann_basis,
    neumann_eigenvalues,
    neumann_grf,
    periodic_eigenvalues,
    periodic_grf,
)


def test_neumann_coefficient_variances_match_the_covariance_spectrum() -> None:
    n, size, alpha, tau = 4000, 10, 2.0, 3.0
    u = neumann_grf(n, size, np.random.default_rng(0), alpha, tau, zero_mean=False)
    inv = np.linalg.inv(neumann_basis(size))
    coeffs = np.einsum("ki,nij,lj->nkl", inv, u, inv)
    k = np.arange(size)
    expected = (math.pi**2 * (k[:, None] ** 2 + k[None, :] ** 2) + tau**2) ** (-alpha)  # written out independently
    ratio = (coeffs**2).mean(0) / expected
    assert np.abs(ratio - 1).max() < 5 * math.sqrt(2 / n)
    np.testing.assert_allclose(neumann_eigenvalues(size, alpha, tau), expected, rtol=1e-15)


def test_neumann_basis_is_the_cosine_eigenbasis_and_zero_mean_drops_the_constant_mode() -> None:
    size = 9
    phi = neumann_basis(size)
    x = np.linspace(0, 1, size)
    np.testing.assert_allclose(phi[:, 3], math.sqrt(2) * np.cos(3 * math.pi * x), atol=1e-15)
    np.testing.assert_allclose(phi[:, 0], 1.0)
    u = neumann_grf(500, size, np.random.default_rng(1))
    coeffs = np.einsum("ki,nij,lj->nkl", np.linalg.inv(phi), u, np.linalg.inv(phi))
    assert np.abs(coeffs[:, 0, 0]).max() < 1e-12
    assert np.abs(coeffs[:, 0, 1]).max() > 1e-3


def test_periodic_power_spectrum_matches_the_covariance_within_monte_carlo_error() -> None:
    n, size, alpha, tau, scale = 4000, 8, 2.5, 7.0, 3.0
    u = periodic_grf(n, size, torch.Generator().manual_seed(0), alpha, tau, scale=scale, zero_mean=False)
    power = torch.fft.fft2(u).abs().square().mean(0) / (scale**2 * size**4)
    f = torch.fft.fftfreq(size, 1 / size, dtype=torch.float64)
    expected = (4 * math.pi**2 * (f[:, None] ** 2 + f[None, :] ** 2) + tau**2) ** (-alpha)
    assert float((power / expected - 1).abs().max()) < 5 * math.sqrt(2 / n)
    torch.testing.assert_close(periodic_eigenvalues(size, alpha, tau), expected, rtol=1e-14, atol=0)


def test_periodic_zero_mean_and_seeds() -> None:
    g = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    u = periodic_grf(5, 16, g(3))
    assert float(u.mean((-2, -1)).abs().max()) < 1e-15
    torch.testing.assert_close(u, periodic_grf(5, 16, g(3)), rtol=0, atol=0)
    assert not torch.equal(u, periodic_grf(5, 16, g(4)))
    np.testing.assert_array_equal(
        neumann_grf(3, 8, np.random.default_rng(2)), neumann_grf(3, 8, np.random.default_rng(2))
    )


@pytest.mark.parametrize(("size", "alpha", "tau"), [(1, 2.0, 3.0), (8, 0.0, 3.0), (8, 2.0, -1.0)])
def test_bad_parameters_raise(size: int, alpha: float, tau: float) -> None:
    with pytest.raises(ValueError, match=r"size|alpha"):
        neumann_grf(1, size, np.random.default_rng(0), alpha, tau)
