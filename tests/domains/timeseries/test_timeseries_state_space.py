"""statsmodels state-space baselines: exact Gaussian conditioning, statsmodels' own forecasts, AR(1) variance."""

from __future__ import annotations

import numpy as np
import pytest
from sciddiff.domains.timeseries.baselines import state_space_forecast, state_space_smooth
from scipy.stats import norm
from statsmodels.tsa.statespace.sarimax import SARIMAX


def _ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.standard_normal() / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.standard_normal()
    return x


def _condition(cov: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero-mean Gaussian y with covariance cov: mean and variance of the NaN entries given the others."""
    o, m = np.isfinite(y), np.isnan(y)
    gain = cov[np.ix_(m, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
    return gain @ y[o], np.diag(cov[np.ix_(m, m)] - gain @ cov[np.ix_(o, m)])


def test_sarimax_recovers_the_ar1_one_step_predictive_variance() -> None:
    x = _ar1(2000, 0.7, seed=0)
    out = state_space_forecast(x, 3, 400, seed=1, order=(1, 0, 0))
    # true predictive variances 1, 1 + phi^2, 1 + phi^2 + phi^4; sigma^2 is estimated to ~ sqrt(2 / n) = 3%
    np.testing.assert_allclose(out.variance, [1.0, 1.49, 1.7301], rtol=0.1)
    np.testing.assert_allclose(out.mean[0], 0.7 * x[-1], atol=0.05 * abs(x[-1]) + 1e-3)
    reference = SARIMAX(x, order=(1, 0, 0)).fit(disp=False).get_forecast(3)
    np.testing.assert_allclose(out.mean, reference.predicted_mean, rtol=1e-8)
    np.testing.assert_allclose(out.variance, reference.var_pred_mean, rtol=1e-8)
    assert np.all(np.abs(out.samples.mean(0) - out.mean) < 4 * np.sqrt(out.variance / 400))
    np.testing.assert_allclose(out.samples.var(0), out.variance, rtol=4 * np.sqrt(2 / 400))
    gaussian = out.mean + np.sqrt(out.variance) * norm.ppf([[0.1], [0.5], [0.9]])
    assert np.all(np.abs(out.quantiles([0.1, 0.5, 0.9]) - gaussian) < 0.25 * np.sqrt(out.variance))


def test_sarimax_smoother_is_exact_gaussian_conditioning() -> None:
    """AR(1) plus measurement noise with fixed parameters: y ~ N(0, s^2 phi^|i-j| / (1 - phi^2) + h I)."""
    phi, s2, h, n = 0.8, 1.0, 0.3, 40
    rng = np.random.default_rng(4)
    y = _ar1(n, phi, seed=5) + np.sqrt(h) * rng.standard_normal(n)
    y[[3, 10, 11, 12, 13, 30, 39]] = np.nan
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    mean, var = _condition(s2 * phi**lag / (1 - phi**2) + h * np.eye(n), y)
    out = state_space_smooth(y, 2000, seed=6, order=(1, 0, 0), measurement_error=True, params=[phi, h, s2])
    gaps = np.isnan(y)
    np.testing.assert_allclose(out.mean[gaps], mean, rtol=1e-8)
    np.testing.assert_allclose(out.variance[gaps], var, rtol=1e-8)
    np.testing.assert_array_equal(out.samples[:, ~gaps], np.broadcast_to(y[~gaps], (2000, n - 7)))
    assert np.all(np.abs(out.samples[:, gaps].mean(0) - mean) < 4 * np.sqrt(var / 2000))
    np.testing.assert_allclose(out.samples[:, gaps].var(0), var, rtol=4 * np.sqrt(2 / 2000))
    # joint draws: the covariance of the four consecutive gaps is the conditional one
    block = np.isin(np.arange(n), [10, 11, 12, 13])
    o = ~gaps
    cov = s2 * phi**lag / (1 - phi**2) + h * np.eye(n)
    cond = cov[np.ix_(block, block)] - cov[np.ix_(block, o)] @ np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, block)])
    np.testing.assert_allclose(np.cov(out.samples[:, block].T), cond, atol=0.15 * np.abs(cond).max())


def test_local_level_smoother_matches_exact_diffuse_conditioning() -> None:
    """Random-walk level (var 0.5) plus noise (var 0.2) with an exact diffuse start and fixed parameters.

    With a flat prior on the initial level l, y = l 1 + w, w ~ N(0, S), S = q min(i, j) + h I, so the missing
    entries follow universal kriging: l_hat = 1'S^-1 y / 1'S^-1 1, and the variance gains u u' / 1'S^-1 1.
    """
    n, q, h = 30, 0.5, 0.2
    rng = np.random.default_rng(7)
    y = np.cumsum(np.sqrt(q) * rng.standard_normal(n)) + np.sqrt(h) * rng.standard_normal(n)
    y[[0, 14, 15, 16, 29]] = np.nan
    i = np.arange(n)
    s = q * np.minimum.outer(i, i) + h * np.eye(n)
    o, m = np.isfinite(y), np.isnan(y)
    s_inv = np.linalg.inv(s[np.ix_(o, o)])
    ones = np.ones(o.sum())
    precision = ones @ s_inv @ ones
    level = ones @ s_inv @ y[o] / precision
    gain = s[np.ix_(m, o)] @ s_inv
    mean = level + gain @ (y[o] - level)
    var = np.diag(s[np.ix_(m, m)] - gain @ s[np.ix_(o, m)]) + (1 - gain @ ones) ** 2 / precision
    out = state_space_smooth(
        y, 500, seed=8, kind="unobserved_components", level="local level", use_exact_diffuse=True, params=[h, q]
    )
    np.testing.assert_allclose(out.mean[m], mean, rtol=1e-9)
    np.testing.assert_allclose(out.variance[m], var, rtol=1e-9)
    assert np.all(np.abs(out.samples[:, m].var(0) / var - 1) < 4 * np.sqrt(2 / 500))


def test_multivariate_history_gets_one_model_per_variable() -> None:
    x = np.stack([_ar1(300, 0.5, seed=9), 10 + _ar1(300, -0.4, seed=10)], axis=1)
    out = state_space_forecast(x, 2, 5, seed=11, order=(1, 0, 0), trend="c")
    assert out.samples.shape == (5, 2, 2)
    for d in range(2):
        ref = SARIMAX(x[:, d], order=(1, 0, 0), trend="c").fit(disp=False).get_forecast(2)
        np.testing.assert_allclose(out.mean[:, d], ref.predicted_mean, rtol=1e-8)


def test_bad_state_space_inputs() -> None:
    with pytest.raises(ValueError, match="kind must be 'sarimax' or 'unobserved_components', got 'arima'"):
        state_space_smooth(np.arange(10.0), 2, kind="arima")
    with pytest.raises(ValueError, match="horizon must be >= 1, got 0"):
        state_space_forecast(np.arange(10.0), 0, 2)
