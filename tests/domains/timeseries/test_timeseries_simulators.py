"""Simulators against exact answers: RK4 and ETDRK4 orders, conservation laws, analytic linear KS, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from sciddiff.domains.timeseries.simulators import (
    ETDRK4,
    StochasticLorenz63,
    lorenz63_rhs,
    lorenz96_rhs,
    rk4_trajectory,
    simulate_kuramoto_sivashinsky,
    simulate_lorenz63,
    simulate_lorenz96,
    simulate_stochastic_lorenz63,
)


def test_rk4_is_fourth_order_on_lorenz63() -> None:
    x0 = simulate_lorenz63(0, burn_in=500).state.values[0, 0]
    ref = rk4_trajectory(lorenz63_rhs, x0, 1.0, 1, substeps=12800)[-1]
    errs = [np.abs(rk4_trajectory(lorenz63_rhs, x0, 1.0, 1, substeps=n)[-1] - ref).max() for n in (400, 800, 1600)]
    ratios = [errs[0] / errs[1], errs[1] / errs[2]]
    assert all(14.0 < r < 18.5 for r in ratios), ratios


def test_lorenz63_fixed_points_are_steady() -> None:
    c = np.sqrt(8.0 / 3.0 * 27.0)
    points = np.array([[0.0, 0.0, 0.0], [c, c, 27.0], [-c, -c, 27.0]])
    np.testing.assert_allclose(lorenz63_rhs(points), 0.0, atol=1e-12)


def test_stochastic_lorenz63_residuals_are_sda_noise() -> None:
    """x_{k+1} - RK4(x_k) is N(0, dt I) with dt = 0.025 (SDA), independent across components and steps."""
    ds = simulate_stochastic_lorenz63(2000, n_trajectories=2, burn_in=64, seed=3)
    x = ds.state.values
    chain = StochasticLorenz63()
    res = (x[:, 1:] - chain.mean(x[:, :-1])).reshape(-1, 3)
    n = res.shape[0]
    assert ds.attrs["noise_std"] == pytest.approx(np.sqrt(0.025))
    np.testing.assert_allclose(res.mean(0), 0.0, atol=4 * np.sqrt(0.025 / n))
    np.testing.assert_allclose(res.var(0), 0.025, rtol=4 * np.sqrt(2 / n))
    corr = np.corrcoef(res.T)[np.triu_indices(3, 1)]
    assert np.abs(corr).max() < 4 / np.sqrt(n)


def test_stochastic_lorenz63_without_noise_is_the_deterministic_flow() -> None:
    noisy = simulate_stochastic_lorenz63(50, noise_std=0.0, burn_in=10, seed=1).state.values[0]
    exact = rk4_trajectory(lorenz63_rhs, noisy[0], 0.025, 50)
    np.testing.assert_allclose(noisy, exact, rtol=0, atol=1e-12)


def test_lorenz96_advection_conserves_energy_identically() -> None:
    x = np.random.default_rng(0).standard_normal((5, 40))
    advection = lorenz96_rhs(x, 0.0) + x
    np.testing.assert_allclose((x * advection).sum(-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(lorenz96_rhs(np.full(40, 8.0)), 0.0, atol=1e-14)


def test_lorenz96_energy_budget_along_the_trajectory() -> None:
    """d/dt (1/2) sum x^2 = -sum x^2 + F sum x, with dE/dt from 4th-order central differences of the output."""
    dt = 0.01
    x = simulate_lorenz96(200, dt=dt, burn_in=100, seed=2).x.values[0]
    energy = 0.5 * (x**2).sum(-1)
    d_energy = (-energy[4:] + 8 * energy[3:-1] - 8 * energy[1:-3] + energy[:-4]) / (12 * dt)
    budget = -(x**2).sum(-1) + 8.0 * x.sum(-1)
    scale = np.abs(budget).max()
    assert scale > 100.0  # the budget terms are far from balanced, so the check has teeth
    np.testing.assert_allclose(d_energy, budget[2:-2], atol=2e-5 * scale)


def test_lorenz96_output_layout() -> None:
    ds = simulate_lorenz96(10, burn_in=5)
    assert ds.x.dims == ("trajectory", "time", "space")
    np.testing.assert_allclose(ds.time.values, 0.05 * np.arange(11))
    np.testing.assert_array_equal(ds.space.values, np.arange(40))
    assert ds.attrs["forcing"] == 8.0


def test_etdrk4_is_fourth_order_on_ks() -> None:
    u0 = simulate_kuramoto_sivashinsky(0).u.values[0, 0]
    ref = ETDRK4(64, 22.0, 1.0 / 5120).integrate(u0, 5120)[-1]
    errs = [np.abs(ETDRK4(64, 22.0, 1.0 / n).integrate(u0, n)[-1] - ref).max() for n in (160, 320, 640)]
    assert 13.0 < errs[0] / errs[1] < errs[1] / errs[2] < 18.0, errs


def test_ks_linear_part_matches_the_analytic_fourier_solution() -> None:
    """Without u u_x, a mode cos(k x) evolves as exp((k^2 - k^4) t) cos(k x); L = 32 pi on 128 points."""
    length, n, h, steps = 32 * np.pi, 128, 0.25, 40
    stepper = ETDRK4(n, length, h, nonlinear=False)
    x = stepper.grid
    amps = np.array([0.3, -1.2, 0.7, 0.5])
    modes = np.array([1, 5, 16, 40])
    k = 2 * np.pi * modes / length
    u0 = 0.4 + (amps[:, None] * np.cos(k[:, None] * x + 0.3)).sum(0)
    t = h * steps
    exact = 0.4 + (amps[:, None] * np.exp((k**2 - k**4) * t)[:, None] * np.cos(k[:, None] * x + 0.3)).sum(0)
    np.testing.assert_allclose(stepper.integrate(u0, steps)[-1], exact, atol=1e-12)


def test_etdrk4_contour_coefficients_match_closed_forms() -> None:
    """At k = 0 the phi-coefficients tend to h/2 and h/6; where |h L| > 1 the closed forms are well conditioned."""
    h = 0.25
    s = ETDRK4(128, 32 * np.pi, h)
    np.testing.assert_allclose([s.Q[0], s.f1[0], s.f2[0], s.f3[0]], [h / 2, h / 6, h / 6, h / 6], rtol=1e-12)
    z = h * s.linear
    far = np.abs(z) > 1.0
    z = z[far]
    ez = np.exp(z)
    np.testing.assert_allclose(s.Q[far], h * (np.exp(z / 2) - 1) / z, rtol=1e-11)
    np.testing.assert_allclose(s.f1[far], h * (-4 - z + ez * (4 - 3 * z + z**2)) / z**3, rtol=1e-11)
    np.testing.assert_allclose(s.f2[far], h * (2 + z + ez * (z - 2)) / z**3, rtol=1e-11)
    np.testing.assert_allclose(s.f3[far], h * (-4 - 3 * z - z**2 + ez * (4 - z)) / z**3, rtol=1e-11)


def test_ks_conserves_the_mean() -> None:
    stepper = ETDRK4(64, 22.0, 0.05)
    x = stepper.grid
    u0 = 0.7 + np.cos(2 * np.pi * x / 22.0) + 0.5 * np.sin(4 * np.pi * x / 22.0)
    u = stepper.integrate(u0, 400, every=100)
    assert np.abs(u[-1] - u0).max() > 0.5  # the field itself changed
    np.testing.assert_allclose(u.mean(-1), 0.7, atol=1e-13)


def test_ks_attractor_statistics() -> None:
    """On the L = 22 attractor the mean stays 0 and the field is O(1): std ~ 1.2, |u| < 4."""
    u = simulate_kuramoto_sivashinsky(400, seed=4).u.values
    np.testing.assert_allclose(u.mean(-1), 0.0, atol=1e-12)
    assert 0.9 < u.std() < 1.5 and np.abs(u).max() < 4.0


@pytest.mark.parametrize(
    "simulate",
    [
        lambda seed: simulate_lorenz63(20, burn_in=10, n_trajectories=2, seed=seed).state,
        lambda seed: simulate_stochastic_lorenz63(20, burn_in=10, n_trajectories=2, seed=seed).state,
        lambda seed: simulate_lorenz96(20, burn_in=10, n_trajectories=2, seed=seed).x,
        lambda seed: simulate_kuramoto_sivashinsky(5, burn_in=2, n_trajectories=2, seed=seed).u,
    ],
    ids=["lorenz63", "stochastic_lorenz63", "lorenz96", "ks"],
)
def test_seeds_reproduce(simulate) -> None:
    a, b, c = simulate(7).values, simulate(7).values, simulate(8).values
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3
    assert np.abs(a[0] - a[1]).max() > 1e-3  # trajectories in one call differ


def test_bad_simulator_arguments() -> None:
    with pytest.raises(ValueError, match=r"dt must be positive, got -0\.1"):
        simulate_lorenz63(10, dt=-0.1)
    with pytest.raises(ValueError, match="substeps must be >= 1, got 0"):
        simulate_lorenz96(10, substeps=0)
    with pytest.raises(ValueError, match="n_points must be even and >= 8, got 63"):
        ETDRK4(63, 22.0, 0.1)
