"""Time-ordered train / validation / test splits: contiguous blocks in time, never shuffled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.datasets.checks import check_series

Data = xr.DataArray | xr.Dataset


@dataclass(frozen=True)
class TimeSplit:
    """Three consecutive blocks of one series: train before validation before test."""

    train: Data
    validation: Data
    test: Data


def split_by_time(
    data: Data,
    *,
    fractions: Sequence[float] | None = None,
    boundaries: Sequence[Any] | None = None,
    time_dim: str = "time",
) -> TimeSplit:
    """Split along ``time_dim`` into train, validation and test blocks, in that order.

    Either ``fractions`` (three numbers summing to 1; the train and validation sizes are rounded down, the test
    block takes the rest) or ``boundaries`` (the first validation time and the first test time, as coordinate
    values: train = time < b0, validation = b0 <= time < b1, test = time >= b1). Default: fractions 0.7/0.15/0.15.
    """
    check_series(data, time_dim)
    n = data.sizes[time_dim]
    if fractions is not None and boundaries is not None:
        raise ValueError("give either fractions or boundaries, not both")
    if boundaries is None:
        fractions = (0.7, 0.15, 0.15) if fractions is None else tuple(fractions)
        if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
            raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        cut1 = int(np.floor(fractions[0] * n + 1e-9))
        cut2 = cut1 + int(np.floor(fractions[1] * n + 1e-9))
    else:
        if len(boundaries) != 2:
            raise ValueError(f"boundaries must be (first validation time, first test time), got {boundaries}")
        time = data[time_dim].values
        if n > 1 and not (time[1:] > time[:-1]).all():
            raise ValueError(f"the {time_dim!r} coordinate must be strictly increasing to split by time values")
        b0, b1 = (np.asarray(b, dtype=time.dtype) for b in boundaries)
        if not b0 < b1:
            raise ValueError(f"boundaries must increase, got {boundaries[0]} then {boundaries[1]}")
        cut1, cut2 = int(np.searchsorted(time, b0, side="left")), int(np.searchsorted(time, b1, side="left"))
    sizes = {"train": cut1, "validation": cut2 - cut1, "test": n - cut2}
    empty = [name for name, size in sizes.items() if size <= 0]
    if empty:
        raise ValueError(f"the {', '.join(empty)} split would be empty: sizes {sizes} out of {n} time steps")
    return TimeSplit(
        train=data.isel({time_dim: slice(0, cut1)}),
        validation=data.isel({time_dim: slice(cut1, cut2)}),
        test=data.isel({time_dim: slice(cut2, n)}),
    )
