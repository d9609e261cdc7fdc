"""Energy score of multivariate ensembles.

Gneiting & Raftery, "Strictly Proper Scoring Rules, Prediction, and Estimation" (JASA, 2007):
ES(F, y) = E||X - y|| - 1/2 E||X - X'||, the multivariate CRPS (equal to it in one dimension).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.metrics.scored import scored_entries
from scipy.spatial.distance import cdist, pdist


def energy_score(
    samples: ArrayLike,
    obs: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    event_ndim: int = 1,
    fair: bool = False,
    reduce: bool = True,
) -> float | np.ndarray:
    """Energy score over vectors formed by the last ``event_ndim`` axes of obs; mean over the other (batch) axes.

    Unscored entries are left out of every norm. Per-case output (``reduce=False``) has NaN for cases with no
    scored entry. ``fair=True`` averages the pairwise term over i != j (m (m - 1) pairs).
    """
    x, y, scored = scored_entries(samples, obs, mask, min_members=2 if fair else 1)
    if not 0 <= event_ndim <= y.ndim:
        raise ValueError(f"event_ndim must be between 0 and obs.ndim = {y.ndim}, got {event_ndim}")
    m = x.shape[0]
    batch = y.shape[: y.ndim - event_ndim]
    x = np.where(scored, x, 0.0).reshape(m, -1, int(np.prod(y.shape[y.ndim - event_ndim :], dtype=int)))
    y0 = np.where(scored, y, 0.0).reshape(x.shape[1], -1)
    has_entries = scored.reshape(x.shape[1], -1).any(axis=1)
    scores = np.full(x.shape[1], np.nan)
    for b in np.flatnonzero(has_entries):
        members = x[:, b]
        skill = cdist(members, y0[b : b + 1]).mean()
        pair_sum = 2.0 * pdist(members).sum()
        scores[b] = skill - 0.5 * pair_sum / (m * (m - 1) if fair else m * m)
    if reduce:
        return float(np.nanmean(scores))
    return scores.reshape(batch)
