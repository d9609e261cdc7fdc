"""statsmodels state-space baselines (SARIMAX, unobserved components): Kalman forecasts and smoothing with NaN.

The model is fitted by maximum likelihood on the observed entries (the Kalman filter skips NaN). Predictive
moments come from the Kalman smoother of the series extended by NaN for the forecast horizon, and joint draws from
the Durbin-Koopman simulation smoother: Durbin & Koopman, "A simple and efficient simulation smoother for state
space time series analysis" (Biometrika, 2002); "Time Series Analysis by State Space Methods" (2nd ed., 2012).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.predictive import Predictive, as_series, squeeze
from statsmodels.tsa.statespace.mlemodel import MLEModel
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.statespace.simulation_smoother import SIMULATION_STATE
from statsmodels.tsa.statespace.structural import UnobservedComponents

Kind = Literal["sarimax", "unobserved_components"]


def state_space_model(endog: np.ndarray, kind: Kind = "sarimax", **model_kwargs: Any) -> MLEModel:
    """A statsmodels ``SARIMAX`` or ``UnobservedComponents`` model of the 1-D series ``endog`` (NaN = missing)."""
    if kind == "sarimax":
        return SARIMAX(endog, **model_kwargs)
    if kind == "unobserved_components":
        return UnobservedComponents(endog, **model_kwargs)
    raise ValueError(f"kind must be 'sarimax' or 'unobserved_components', got {kind!r}")


def state_space_forecast(
    history: ArrayLike,
    horizon: int,
    n_samples: int,
    seed: int = 0,
    *,
    kind: Kind = "sarimax",
    params: ArrayLike | None = None,
    fit_kwargs: Mapping[str, Any] | None = None,
    **model_kwargs: Any,
) -> Predictive:
    """Joint predictive draws for the ``horizon`` steps after ``history``, with exact Gaussian means and variances.

    Each variable of a (time, variable) history gets its own model. ``params`` fixes the parameters (one set,
    shared by every variable) instead of fitting them.
    """
    x, univariate = as_series(history, "history")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    extended = np.concatenate([x, np.full((horizon, x.shape[1]), np.nan)])
    out = _posterior(extended, n_samples, seed, kind, params, fit_kwargs, model_kwargs)
    return Predictive(
        squeeze(out.samples[:, -horizon:], univariate),
        mean=squeeze(out.mean[None, -horizon:], univariate)[0],
        variance=squeeze(out.variance[None, -horizon:], univariate)[0],
    )


def state_space_smooth(
    series: ArrayLike,
    n_samples: int,
    seed: int = 0,
    *,
    kind: Kind = "sarimax",
    params: ArrayLike | None = None,
    fit_kwargs: Mapping[str, Any] | None = None,
    **model_kwargs: Any,
) -> Predictive:
    """Joint draws of the series given its observed entries (NaN imputed; observed entries returned as they are)."""
    x, univariate = as_series(series, "series")
    out = _posterior(x, n_samples, seed, kind, params, fit_kwargs, model_kwargs)
    return Predictive(
        squeeze(out.samples, univariate),
        mean=squeeze(out.mean[None], univariate)[0],
        variance=squeeze(out.variance[None], univariate)[0],
    )


def _posterior(
    x: np.ndarray,
    n_samples: int,
    seed: int,
    kind: Kind,
    params: ArrayLike | None,
    fit_kwargs: Mapping[str, Any] | None,
    model_kwargs: Mapping[str, Any],
) -> Predictive:
    """Per-variable smoothing moments and simulation-smoother draws of (T, D) data with NaN."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    rng = np.random.default_rng(seed)
    samples = np.empty((n_samples, *x.shape))
    mean, variance = np.empty(x.shape), np.empty(x.shape)
    for d in range(x.shape[1]):
        model = state_space_model(x[:, d], kind, **model_kwargs)
        theta = model.fit(disp=False, **(fit_kwargs or {})).params if params is None else np.asarray(params)
        mean[:, d], variance[:, d], samples[:, :, d] = _draws(model, theta, x[:, d], n_samples, rng)
    return Predictive(samples, mean=mean, variance=variance)


def _draws(
    model: MLEModel, params: np.ndarray, y: np.ndarray, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed mean and variance of each y_t, and draws y = d + Z alpha + eps with alpha from the simulation
    smoother and fresh eps ~ N(0, H) where y is missing; observed entries are returned unchanged (variance 0)."""
    smoothed = model.smooth(params).smoother_results
    observed = np.isfinite(y)
    mean = np.where(observed, y, smoothed.smoothed_forecasts[0])
    variance = np.where(observed, 0.0, smoothed.smoothed_forecasts_error_cov[0, 0])
    ssm = model.ssm  # updated to ``params`` by ``smooth``
    design, intercept, noise_std = ssm.design[0], ssm.obs_intercept[0], np.sqrt(ssm.obs_cov[0, 0])
    simulator = model.simulation_smoother(simulation_output=SIMULATION_STATE)
    draws = np.empty((n_samples, y.size))
    for i in range(n_samples):
        simulator.simulate(rng=rng)
        signal = (design * simulator.simulated_state).sum(axis=0) + intercept
        draws[i] = np.where(observed, y, signal + noise_std * rng.standard_normal(y.size))
    return mean, variance, draws
