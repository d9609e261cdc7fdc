"""Naive forecasters: climatology, persistence and seasonal naive, as point or resampled-increment ensembles.

Hyndman & Athanasopoulos, "Forecasting: Principles and Practice" (3rd ed., 2021), sections 5.2 and 5.5:
the naive and seasonal naive methods, and prediction intervals by bootstrapping historical changes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.predictive import Predictive, as_series, squeeze


def climatology(history: ArrayLike, horizon: int, n_samples: int, seed: int = 0) -> Predictive:
    """Each draw at each lead resamples, per variable, one observed (non-NaN) value of the history."""
    x, univariate = as_series(history, "history")
    _check_horizon(horizon, n_samples)
    rng = np.random.default_rng(seed)
    out = np.empty((n_samples, horizon, x.shape[1]))
    for d in range(x.shape[1]):
        observed = x[np.isfinite(x[:, d]), d]
        out[:, :, d] = rng.choice(observed, size=(n_samples, horizon))
    return Predictive(squeeze(out, univariate))


def persistence(history: ArrayLike, horizon: int, n_samples: int | None = None, seed: int = 0) -> Predictive:
    """Repeat the last observed value; with ``n_samples``, add resampled observed lag-(h + gap) changes.

    The gap counts the trailing NaN steps, so the change is always over the true lag from the value used.
    """
    x, univariate = as_series(history, "history")
    _check_horizon(horizon, n_samples or 1)
    last = np.array([np.flatnonzero(np.isfinite(x[:, d]))[-1] for d in range(x.shape[1])])
    lead = np.arange(1, horizon + 1)
    reference = np.broadcast_to(last[None, :], (horizon, x.shape[1]))
    target = np.broadcast_to(x.shape[0] - 1 + lead[:, None], reference.shape)
    return Predictive(squeeze(_increment_ensemble(x, reference, target, n_samples, seed), univariate))


def seasonal_naive(
    history: ArrayLike, horizon: int, period: int, n_samples: int | None = None, seed: int = 0
) -> Predictive:
    """Forecast T + h by the latest observed value in the same phase (h - k period back, k >= 1 smallest).

    With ``n_samples``, add resampled observed changes over the same lag (a multiple of the period).
    """
    x, univariate = as_series(history, "history")
    _check_horizon(horizon, n_samples or 1)
    if period < 1 or period > x.shape[0]:
        raise ValueError(f"period must be between 1 and the history length {x.shape[0]}, got {period}")
    n = x.shape[0]
    target = n - 1 + np.arange(1, horizon + 1)
    reference = np.empty((horizon, x.shape[1]), dtype=int)
    for d in range(x.shape[1]):
        for i, t in enumerate(target):
            r = t - period * int(np.ceil((t - n + 1) / period))
            while r >= 0 and np.isnan(x[r, d]):
                r -= period
            if r < 0:
                raise ValueError(f"variable {d} has no observed value in the phase of lead {i + 1} (period {period})")
            reference[i, d] = r
    target = np.broadcast_to(target[:, None], reference.shape)
    return Predictive(squeeze(_increment_ensemble(x, reference, target, n_samples, seed), univariate))


def _increment_ensemble(
    x: np.ndarray, reference: np.ndarray, target: np.ndarray, n_samples: int | None, seed: int
) -> np.ndarray:
    """x[reference] as one member, or plus resampled observed changes x[t] - x[t - lag], lag = target - reference."""
    horizon, n_var = reference.shape
    base = x[reference, np.arange(n_var)[None, :]]
    if n_samples is None:
        return base[None]
    rng = np.random.default_rng(seed)
    out = np.empty((n_samples, horizon, n_var))
    for h in range(horizon):
        for d in range(n_var):
            lag = int(target[h, d] - reference[h, d])
            changes = x[lag:, d] - x[:-lag, d]
            changes = changes[np.isfinite(changes)]
            if changes.size == 0:
                raise ValueError(f"variable {d} has no observed pair {lag} steps apart to resample changes from")
            out[:, h, d] = base[h, d] + rng.choice(changes, size=n_samples)
    return out


def _check_horizon(horizon: int, n_samples: int) -> None:
    """Reject a non-positive horizon or ensemble size."""
    if horizon < 1 or n_samples < 1:
        raise ValueError(f"horizon and n_samples must be >= 1, got horizon={horizon} and n_samples={n_samples}")
