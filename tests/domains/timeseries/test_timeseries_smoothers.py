"""Ensemble Kalman smoother, particle smoother (FFBS) and perfect-model forecasts against exact Gaussian answers."""

from __future__ import annotations

import numpy as np
import pytest
from sciddiff.domains.timeseries.baselines import (
    bootstrap_particle_filter,
    ensemble_kalman_smoother,
    particle_smoother,
    perfect_model_forecast,
    sda_lorenz63,
    systematic_resample,
)
from sciddiff.domains.timeseries.simulators import StochasticLorenz63
from scipy.stats import norm


def _problem(linear_gaussian) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observations over 16 steps with a 4-step gap, and the exact smoothing mean and covariance."""
    model = linear_gaussian.model()
    rng = np.random.default_rng(0)
    y = model.observe(model.simulate(15, rng), rng)
    y[5:9] = np.nan
    mean, cov = linear_gaussian.posterior(y)
    return y, mean, cov


def _check_posterior(samples: np.ndarray, mean: np.ndarray, cov: np.ndarray, z_max: float, cov_err: float) -> None:
    sd = np.sqrt(np.einsum("tdtd->td", cov))
    assert np.abs((samples.mean(0) - mean) / sd).max() < z_max
    ratio = samples.var(0, ddof=1) / sd**2
    assert ratio.min() > 0.75 and ratio.max() < 1.3 and abs(ratio.mean() - 1) < 0.06
    flat = cov.reshape(mean.size, mean.size)
    joint = np.cov(samples.reshape(samples.shape[0], -1).T)  # the whole trajectory's covariance, across times
    assert np.linalg.norm(joint - flat) / np.linalg.norm(flat) < cov_err


def test_ensemble_kalman_smoother_matches_the_exact_smoother(linear_gaussian) -> None:
    y, mean, cov = _problem(linear_gaussian)
    out = ensemble_kalman_smoother(linear_gaussian.model(), y, 2000, seed=1)
    assert out.samples.shape == (2000, 16, 2)
    _check_posterior(out.samples, mean, cov, z_max=0.15, cov_err=0.12)


def test_particle_smoother_matches_the_exact_smoother(linear_gaussian) -> None:
    """FFBS, not the filter: the exact filter means differ from the smoothing means by up to 0.8 sd here."""
    y, mean, cov = _problem(linear_gaussian)
    out = particle_smoother(linear_gaussian.model(), y, n_particles=2000, n_trajectories=1000, seed=2)
    _check_posterior(out.samples, mean, cov, z_max=0.25, cov_err=0.25)
    filter_means = np.array([linear_gaussian.posterior(y[: t + 1])[0][t] for t in range(16)])
    assert np.abs(filter_means - mean).max() > 0.5 * np.sqrt(cov[4, 0, 4, 0])


def test_particle_filter_matches_the_exact_filter(linear_gaussian) -> None:
    y, _, _ = _problem(linear_gaussian)
    result = bootstrap_particle_filter(linear_gaussian.model(), y, 20_000, seed=3)
    w = np.exp(result.log_weights)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    for t in (0, 4, 8, 15):
        mean, cov = linear_gaussian.posterior(y[: t + 1])
        estimate = (w[t][:, None] * result.particles[t]).sum(0)
        assert np.abs(estimate - mean[t]).max() < 0.05 * np.sqrt(np.diag(cov[t, :, t, :])).max()


@pytest.mark.parametrize("assimilation", ["enkf", "particle"])
def test_perfect_model_forecast_is_the_exact_predictive(linear_gaussian, assimilation: str) -> None:
    """Given 16 observed steps, the next 4 states are N(exact filter prediction) for a linear-Gaussian model."""
    y, _, _ = _problem(linear_gaussian)
    mean, cov = linear_gaussian.posterior(y, extra=4)
    out = perfect_model_forecast(linear_gaussian.model(), y, 4, 4000, seed=4, assimilation=assimilation)
    assert out.samples.shape == (4000, 4, 2)
    sd = np.sqrt(np.einsum("tdtd->td", cov))[16:]
    assert np.abs((out.samples.mean(0) - mean[16:]) / sd).max() < 0.1
    np.testing.assert_allclose(out.samples.var(0) / sd**2, 1.0, atol=0.1)


def test_systematic_resampling_counts() -> None:
    """Each index appears floor(n w_i) or ceil(n w_i) times."""
    w = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    counts = np.bincount(systematic_resample(np.log(w), 1000, np.random.default_rng(5)), minlength=5)
    assert counts.sum() == 1000
    assert np.all((counts == np.floor(1000 * w)) | (counts == np.ceil(1000 * w)))
    np.testing.assert_array_equal(counts[:3], [500, 250, 125])


def test_sda_lorenz63_model() -> None:
    """SDA's problem: transition = stochastic Lorenz-63, y = x / 8 + N(0, sigma^2) on the first variable."""
    model = sda_lorenz63(obs_std=0.05)
    chain = StochasticLorenz63()
    rng = np.random.default_rng(6)
    x = model.prior_sample(4, rng)
    np.testing.assert_allclose(model.transition(x), chain.mean(x))
    np.testing.assert_allclose(model.process_std, np.sqrt(0.025))
    y = np.array([0.3])
    np.testing.assert_allclose(model.log_likelihood(x, y), norm.logpdf(0.3, loc=x[:, 0] / 8, scale=0.05))
    states = model.simulate(64, rng)
    obs = model.observe(states, rng, every=8)
    assert np.isfinite(obs[::8]).all() and np.isnan(np.delete(obs, np.arange(0, 65, 8), axis=0)).all()
    assert np.abs(obs[::8, 0] - states[::8, 0] / 8).max() < 5 * 0.05


def test_bad_smoother_inputs(linear_gaussian) -> None:
    model = linear_gaussian.model()
    with pytest.raises(ValueError, match=r"observations have shape \(5, 2\); the model expects \(time, 1\)"):
        ensemble_kalman_smoother(model, np.zeros((5, 2)), 10)
    with pytest.raises(ValueError, match="observations hold inf at time index 1"):
        bootstrap_particle_filter(model, np.array([[0.0], [np.inf]]), 10)
    with pytest.raises(ValueError, match="assimilation must be 'enkf' or 'particle', got 'pf'"):
        perfect_model_forecast(model, np.zeros((3, 1)), 2, 10, assimilation="pf")
