"""Stochastic ensemble Kalman filter and the ensemble Rauch-Tung-Striebel smoother.

Evensen, "Data Assimilation: The Ensemble Kalman Filter" (2nd ed., Springer, 2009): analysis with perturbed
observations, x_a = x_f + K (y + eps - H x_f), K = C_xy (C_yy + R)^{-1} from ensemble covariances.
Raanes, "On the ensemble Rauch-Tung-Striebel smoother and its equivalence to the ensemble Kalman smoother"
(QJRMS, 2016): backward pass x_s(t) = x_a(t) + J_t (x_s(t+1) - x_f(t+1)), J_t = C[x_a(t), x_f(t+1)] C[x_f(t+1)]^+.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.predictive import Predictive
from sciddiff.domains.timeseries.baselines.ssm import GaussianStateSpace, check_observations


@dataclass(frozen=True)
class EnsembleFilterResult:
    """Forecast (prior) and analysis ensembles at every time, both shaped (T, n_members, d)."""

    forecast: np.ndarray
    analysis: np.ndarray


def _analysis(model: GaussianStateSpace, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stochastic EnKF update of the ensemble x (N, d) with the observed entries of y (p,)."""
    observed = np.isfinite(y)
    if not observed.any():
        return x
    h, r = model.obs_matrix[observed], model.obs_std[observed]
    hx = x @ h.T
    a, ha = x - x.mean(axis=0), hx - hx.mean(axis=0)
    n = x.shape[0]
    c_xy = a.T @ ha / (n - 1)
    c_yy = ha.T @ ha / (n - 1) + np.diag(r**2)
    innovation = y[observed] + r * rng.standard_normal((n, r.size)) - hx
    return x + np.linalg.solve(c_yy, innovation.T).T @ c_xy.T


def ensemble_kalman_filter(
    model: GaussianStateSpace, observations: ArrayLike, n_members: int, seed: int = 0
) -> EnsembleFilterResult:
    """Stochastic EnKF over y_0..y_{T-1} (NaN = unobserved): forecast from the prior at t = 0, then analyses."""
    y = check_observations(model, observations)
    if n_members < 2:
        raise ValueError(f"the ensemble needs at least 2 members, got {n_members}")
    rng = np.random.default_rng(seed)
    forecast = np.empty((y.shape[0], n_members, model.state_dim))
    analysis = np.empty_like(forecast)
    x = model.prior_sample(n_members, rng)
    for t in range(y.shape[0]):
        forecast[t] = x
        analysis[t] = _analysis(model, x, y[t], rng)
        x = model.sample_transition(analysis[t], rng)
    return EnsembleFilterResult(forecast, analysis)


def ensemble_kalman_smoother(
    model: GaussianStateSpace, observations: ArrayLike, n_members: int, seed: int = 0
) -> Predictive:
    """Ensemble RTS smoother after the stochastic EnKF: members (n_members, T, d) of the trajectory posterior.

    Exact in the large-ensemble limit for linear-Gaussian models; a Gaussian approximation otherwise.
    """
    result = ensemble_kalman_filter(model, observations, n_members, seed)
    fa, an = result.forecast, result.analysis
    smoothed = np.empty_like(an)
    smoothed[-1] = an[-1]
    n = n_members
    for t in range(an.shape[0] - 2, -1, -1):
        a = an[t] - an[t].mean(axis=0)
        f = fa[t + 1] - fa[t + 1].mean(axis=0)
        gain = (a.T @ f / (n - 1)) @ np.linalg.pinv(f.T @ f / (n - 1), hermitian=True)
        smoothed[t] = an[t] + (smoothed[t + 1] - fa[t + 1]) @ gain.T
    samples = smoothed.transpose(1, 0, 2)
    return Predictive(samples, mean=samples.mean(axis=0), variance=samples.var(axis=0, ddof=1))
