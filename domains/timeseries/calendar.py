"""Calendar features of datetime coordinates: sin and cos of the phase within a day, week, month or year."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# name -> (phase in [0, period) of a DatetimeIndex, period)
CALENDAR = {
    "dayofyear": (lambda t: t.dayofyear - 1 + t.hour / 24.0, 365.25),
    "month": (lambda t: t.month - 1, 12.0),
    "dayofweek": (lambda t: t.dayofweek, 7.0),
    "hour": (lambda t: t.hour + t.minute / 60.0, 24.0),
}


def calendar_features(time: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Features (..., 2 len(names), L) for datetimes (..., L): [sin, cos](2 pi phase / period) per name, in order."""
    unknown = [n for n in names if n not in CALENDAR]
    if unknown:
        raise ValueError(f"unknown calendar features {unknown}; choose from {sorted(CALENDAR)}")
    t = np.asarray(time)
    if not np.issubdtype(t.dtype, np.datetime64):
        raise ValueError(f"calendar features need a datetime time coordinate, got dtype {t.dtype}")
    index = pd.DatetimeIndex(t.reshape(-1))
    out = []
    for name in names:
        phase_of, period = CALENDAR[name]
        angle = 2.0 * np.pi * np.asarray(phase_of(index), dtype=np.float64) / period
        out += [np.sin(angle).reshape(t.shape), np.cos(angle).reshape(t.shape)]
    return np.stack(out, axis=-2) if out else np.zeros((*t.shape[:-1], 0, t.shape[-1]))
