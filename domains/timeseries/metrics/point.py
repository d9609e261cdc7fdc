"""Point errors of the ensemble median: MAE and RMSE over the scored entries."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.metrics.scored import masked_mean, scored_entries


def mae_median(samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None) -> float:
    """mean |median(X) - y| over scored entries (the median minimises expected absolute error)."""
    x, y, scored = scored_entries(samples, obs, mask)
    return masked_mean(np.abs(np.median(x, axis=0) - y), scored)


def rmse_median(samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None) -> float:
    """sqrt(mean (median(X) - y)^2) over scored entries."""
    x, y, scored = scored_entries(samples, obs, mask)
    return float(np.sqrt(masked_mean((np.median(x, axis=0) - y) ** 2, scored)))
