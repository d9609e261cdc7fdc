"""The common output of every baseline: predictive draws with the samples axis first, plus exact moments if known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Predictive:
    """Draws shaped (n_samples, n_time, *event); ``mean``/``variance`` (n_time, *event) when the method has them."""

    samples: np.ndarray
    mean: np.ndarray | None = None
    variance: np.ndarray | None = None

    def quantiles(self, levels: ArrayLike) -> np.ndarray:
        """Empirical quantiles of the draws (linear interpolation), shaped (n_levels, n_time, *event)."""
        return np.quantile(self.samples, np.asarray(levels, dtype=np.float64), axis=0)


def as_series(values: ArrayLike, name: str = "series") -> tuple[np.ndarray, bool]:
    """(values as float64 (T, D), whether the input was 1-D); rejects inf, all-NaN variables and other ranks."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"{name} must be shaped (time,) or (time, variable), got shape {x.shape}")
    univariate = x.ndim == 1
    x = x[:, None] if univariate else x
    if np.isinf(x).any():
        t, d = np.argwhere(np.isinf(x))[0]
        raise ValueError(f"{name} holds inf at time index {t}, variable {d}; inf is corrupt input (NaN = missing)")
    empty = np.flatnonzero(np.isnan(x).all(axis=0))
    if empty.size:
        raise ValueError(f"{name} variable {int(empty[0])} is entirely NaN over {x.shape[0]} time steps")
    return x, univariate


def squeeze(samples: np.ndarray, univariate: bool) -> np.ndarray:
    """Drop the trailing variable axis of (n, T, 1) draws when the input series was 1-D."""
    return samples[..., 0] if univariate else samples
