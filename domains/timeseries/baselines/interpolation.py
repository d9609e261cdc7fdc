"""Linear interpolation across gaps, a point baseline for imputation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.predictive import Predictive, as_series, squeeze


def linear_interpolation(series: ArrayLike, time: ArrayLike | None = None) -> Predictive:
    """Fill each NaN by linear interpolation in ``time`` (default 0, 1, ...) between its observed neighbours.

    Leading and trailing gaps take the nearest observed value. Datetime coordinates are used as nanoseconds.
    Returns one member (the filled series), also given as ``mean``.
    """
    x, univariate = as_series(series, "series")
    t = np.arange(x.shape[0], dtype=np.float64) if time is None else np.asarray(time)
    if np.issubdtype(t.dtype, np.datetime64):
        t = t.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    t = t.astype(np.float64)
    if t.shape != (x.shape[0],):
        raise ValueError(f"time has shape {t.shape}; expected ({x.shape[0]},) to match the series")
    if not (np.diff(t) > 0).all():
        raise ValueError("time must be strictly increasing")
    filled = x.copy()
    for d in range(x.shape[1]):
        observed = np.isfinite(x[:, d])
        filled[:, d] = np.interp(t, t[observed], x[observed, d])
    filled = squeeze(filled[None], univariate)
    return Predictive(filled, mean=filled[0])
