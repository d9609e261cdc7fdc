"""CRPS of ensembles: exact (energy form, by sorting) and the CSDI / GluonTS normalised quantile CRPS and CRPS-sum.

Gneiting & Raftery, "Strictly Proper Scoring Rules, Prediction, and Estimation" (JASA, 2007):
CRPS(F, y) = E|X - y| - 1/2 E|X - X'|. Tashiro et al., "CSDI: Conditional Score-based Diffusion Models for
Probabilistic Time Series Imputation" (2021, arXiv:2107.03502): quantile CRPS on levels 0.05, ..., 0.95.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.metrics.scored import masked_mean, scored_entries

QUANTILE_LEVELS = np.round(np.arange(1, 20) * 0.05, 10)


def crps_ensemble(
    samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None, *, fair: bool = False, reduce: bool = True
) -> float | np.ndarray:
    """Exact CRPS of the empirical ensemble distribution, mean over scored entries (or per entry if not reduce).

    With sorted members x_(1) <= ... <= x_(m): 1/2 E|X - X'| = sum_i (2i - m - 1) x_(i) / m^2, so O(m log m).
    ``fair=True`` divides by m (m - 1) instead (the unbiased estimator of the CRPS of the generating law).
    Per-entry output has NaN where nothing is scored.
    """
    x, y, scored = scored_entries(samples, obs, mask, min_members=2 if fair else 1)
    m = x.shape[0]
    skill = np.abs(x - y).mean(axis=0)
    weights = (2.0 * np.arange(1, m + 1) - m - 1).reshape(-1, *([1] * y.ndim))
    half_spread = (weights * np.sort(x, axis=0)).sum(axis=0) / (m * (m - 1) if fair else m * m)
    crps = skill - half_spread
    return masked_mean(crps, scored) if reduce else np.where(scored, crps, np.nan)


def _quantile_loss_sum(quantiles: np.ndarray, y: np.ndarray, weight: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """sum_entries 2 weight |(q_a - y)(1{y <= q_a} - a)| for each level a: shape (n_levels,)."""
    a = levels.reshape(-1, *([1] * y.ndim))
    loss = np.abs((quantiles - y) * ((y <= quantiles) - a))
    return 2.0 * (loss * weight).reshape(len(levels), -1).sum(axis=1)


def quantile_crps(
    samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None, levels: ArrayLike = QUANTILE_LEVELS
) -> float:
    """CSDI / GluonTS normalised quantile CRPS: mean over levels a of 2 sum|QL_a(q_a, y)| / sum|y| on scored entries.

    Quantiles q_a of the ensemble use linear interpolation (as ``torch.quantile`` in CSDI).
    """
    x, y, scored = scored_entries(samples, obs, mask)
    levels = _check_levels(levels)
    y0 = np.where(scored, y, 0.0)
    denominator = np.abs(y0).sum()
    if denominator == 0:
        raise ValueError("the scored observations are all zero; the normalised quantile CRPS is undefined")
    quantiles = np.quantile(x, levels, axis=0)
    return float(_quantile_loss_sum(quantiles, y0, scored, levels).mean() / denominator)


def quantile_crps_sum(
    samples: ArrayLike,
    obs: ArrayLike,
    mask: ArrayLike | None = None,
    levels: ArrayLike = QUANTILE_LEVELS,
    variable_axis: int = -1,
) -> float:
    """CRPS-sum: :func:`quantile_crps` of the sum over ``variable_axis`` (of obs) of samples and observations.

    A position (e.g. a time step) is scored when all its variables are scored; CSDI instead weights each position
    by the fraction of scored variables, which is the same when whole time steps are held out (forecasting).
    """
    x, y, scored = scored_entries(samples, obs, mask)
    axis = variable_axis % y.ndim
    complete = scored.all(axis=axis)
    summed_x = np.where(scored, x, 0.0).sum(axis=axis + 1)
    summed_y = np.where(scored, y, 0.0).sum(axis=axis)
    if not complete.any():
        raise ValueError(f"no position has all its variables (axis {variable_axis}) scored; CRPS-sum is undefined")
    return quantile_crps(summed_x, np.where(complete, summed_y, np.nan), None, levels)


def _check_levels(levels: ArrayLike) -> np.ndarray:
    """Quantile levels as a 1-D float64 array strictly inside (0, 1)."""
    a = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if a.ndim != 1 or not ((a > 0) & (a < 1)).all():
        raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {a}")
    return a
