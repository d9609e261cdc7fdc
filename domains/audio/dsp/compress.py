"""Log compression of magnitudes to decibels and a fixed affine normalisation of the decibel range.

dB = 20 log10(max(|X|, 10^(db_min / 20))), so magnitudes below the floor db_min are clipped to it; the normalised
value is 2 (dB - db_min) / (db_max - db_min) - 1, which maps [db_min, db_max] onto [-1, 1]. Both maps are
data-independent, so they need no fitted statistics and invert exactly above the floor.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _check_range(db_min: float, db_max: float) -> None:
    if not db_min < db_max:
        raise ValueError(f"need db_min < db_max, got db_min={db_min}, db_max={db_max}")


def amplitude_to_db(magnitude: Tensor, db_min: float = -100.0) -> Tensor:
    """20 log10 of a non-negative magnitude, floored at ``db_min`` dB."""
    if bool((magnitude < 0).any()):
        raise ValueError(f"magnitude must be non-negative; minimum is {float(magnitude.min()):.3g}")
    return 20.0 * torch.log10(torch.clamp(magnitude, min=10.0 ** (db_min / 20.0)))


def db_to_amplitude(db: Tensor) -> Tensor:
    """Inverse of :func:`amplitude_to_db` above the floor: 10^(dB / 20)."""
    return 10.0 ** (db / 20.0)


def normalise_db(db: Tensor, db_min: float = -100.0, db_max: float = 20.0) -> Tensor:
    """Affine map of [db_min, db_max] dB onto [-1, 1] (values outside the range are not clipped)."""
    _check_range(db_min, db_max)
    return 2.0 * (db - db_min) / (db_max - db_min) - 1.0


def denormalise_db(values: Tensor, db_min: float = -100.0, db_max: float = 20.0) -> Tensor:
    """Inverse of :func:`normalise_db`."""
    _check_range(db_min, db_max)
    return (values + 1.0) * (0.5 * (db_max - db_min)) + db_min
