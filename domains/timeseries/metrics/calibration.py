"""Calibration of ensembles: spread-skill ratio and the coverage of central prediction intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.metrics.scored import masked_mean, scored_entries


def spread_skill_ratio(samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None) -> float:
    """sqrt((m + 1) / m * mean s^2) / sqrt(mean (mean(X) - y)^2), means over scored entries; 1 when calibrated.

    s^2 is the unbiased (ddof = 1) ensemble variance. If y and the m members are exchangeable draws, then
    E(mean(X) - y)^2 = (1 + 1/m) E s^2, hence the factor (Fortin et al., "Why Should Ensemble Spread Match the
    RMSE of the Ensemble Mean?", J. Hydrometeorology, 2014). Above 1: over-dispersed; below 1: under-dispersed.
    """
    x, y, scored = scored_entries(samples, obs, mask, min_members=2)
    m = x.shape[0]
    spread = np.sqrt((m + 1) / m * masked_mean(x.var(axis=0, ddof=1), scored))
    skill = np.sqrt(masked_mean((x.mean(axis=0) - y) ** 2, scored))
    if skill == 0:
        raise ValueError("the ensemble mean equals every scored observation; the spread-skill ratio is undefined")
    return float(spread / skill)


def interval_coverage(
    samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None, levels: Sequence[float] = (0.5, 0.9)
) -> dict[float, float]:
    """For each level p, the fraction of scored y inside [q_{(1-p)/2}, q_{(1+p)/2}] (closed, linear quantiles)."""
    x, y, scored = scored_entries(samples, obs, mask)
    out: dict[float, float] = {}
    for p in levels:
        if not 0 < p < 1:
            raise ValueError(f"central interval levels must lie strictly between 0 and 1, got {p}")
        lo, hi = np.quantile(x, [(1 - p) / 2, (1 + p) / 2], axis=0)
        out[float(p)] = masked_mean((lo <= y) & (y <= hi), scored)
    return out
