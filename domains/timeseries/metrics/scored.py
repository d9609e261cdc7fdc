"""Shared input handling: validated float64 arrays and the boolean array of entries to score."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def scored_entries(
    samples: ArrayLike, obs: ArrayLike, mask: ArrayLike | None = None, min_members: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(samples, obs, scored): float64 arrays, with scored = mask & isfinite(obs) shaped like obs.

    Raises ``ValueError`` if the shapes disagree, an ensemble member is not finite, the ensemble has fewer than
    ``min_members`` members, or no entry is left to score.
    """
    x = np.asarray(samples, dtype=np.float64)
    y = np.asarray(obs, dtype=np.float64)
    if x.shape[1:] != y.shape:
        raise ValueError(f"samples have shape {x.shape}; expected (m, *obs.shape) with obs shape {y.shape}")
    if x.shape[0] < min_members:
        raise ValueError(f"the ensemble has {x.shape[0]} member(s); this score needs at least {min_members}")
    if not np.isfinite(x).all():
        raise ValueError(f"samples hold {int((~np.isfinite(x)).sum())} non-finite value(s); forecasts must be finite")
    if mask is None:
        scored = np.isfinite(y)
    else:
        m = np.asarray(mask)
        if m.dtype != bool:
            raise ValueError(f"mask must be boolean (True = score), got dtype {m.dtype}")
        try:
            scored = np.broadcast_to(m, y.shape) & np.isfinite(y)
        except ValueError:
            raise ValueError(f"mask of shape {m.shape} does not broadcast to obs shape {y.shape}") from None
    if not scored.any():
        raise ValueError("no entry to score: the mask is empty or every selected observation is NaN")
    return x, y, scored


def masked_mean(values: np.ndarray, scored: np.ndarray) -> float:
    """The mean of ``values`` over the scored entries."""
    return float(values[scored].mean())
