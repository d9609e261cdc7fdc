"""Time-ordered splits of (series, time, channel) values and the windows of each split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.datasets.splits import split_by_time
from sciddiff.domains.timeseries.items import Windows

SPLITS = ("train", "val", "test")


def split_ranges(time: np.ndarray, n_series: int, options: Mapping[str, Any] | None) -> dict[str, tuple[str, int, int]]:
    """For each split, (axis, lo, hi): steps lo..hi-1 of every series (``by: time``, the default), or series
    lo..hi-1 (``by: series``, for sets of independent cases). ``fractions`` or ``boundaries`` (first validation
    and first test time values) as in :func:`split_by_time`."""
    opts = dict(options or {})
    by = opts.pop("by", "time")
    unknown = sorted(set(opts) - {"fractions", "boundaries"})
    if unknown:
        raise ValueError(f"unknown split options {unknown}; use by, fractions, boundaries")
    if by == "time":
        index = xr.DataArray(np.zeros(len(time)), dims="time", coords={"time": time})
        parts = split_by_time(index, fractions=opts.get("fractions"), boundaries=opts.get("boundaries"))
        sizes = [parts.train.sizes["time"], parts.validation.sizes["time"]]
    elif by == "series":
        if "boundaries" in opts:
            raise ValueError("split by series takes fractions, not time boundaries")
        fractions = tuple(opts.get("fractions") or (0.7, 0.15, 0.15))
        if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
            raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        sizes = [int(np.floor(f * n_series + 1e-9)) for f in fractions[:2]]
        if min(sizes) < 1 or n_series - sum(sizes) < 1:
            raise ValueError(f"{n_series} series cannot be split into {fractions} with every split non-empty")
    else:
        raise ValueError(f"split.by must be 'time' or 'series', got {by!r}")
    total = len(time) if by == "time" else n_series
    cuts = [0, sizes[0], sizes[0] + sizes[1], total]
    return {name: (by, cuts[i], cuts[i + 1]) for i, name in enumerate(SPLITS)}


def split_windows(
    values: np.ndarray, time: np.ndarray, ranges: dict[str, tuple[str, int, int]], window: int, stride: int
) -> dict[str, Windows]:
    """The windows of each split, every ``stride`` steps; a split shorter than the window is an error."""
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got window={window} and stride={stride}")
    n_series, n_time = values.shape[:2]
    if n_time < window:
        raise ValueError(f"series has {n_time} time steps; the window needs at least {window}")
    out = {}
    for name, (by, lo, hi) in ranges.items():
        t_lo, t_hi = (lo, hi) if by == "time" else (0, n_time)
        if t_hi - t_lo < window:
            raise ValueError(f"the {name} split has {t_hi - t_lo} time steps; the window needs at least {window}")
        starts = np.arange(t_lo, t_hi - window + 1, stride)
        series = np.arange(n_series) if by == "time" else np.arange(lo, hi)
        out[name] = Windows(values, time, np.repeat(series, len(starts)), np.tile(starts, len(series)), window)
    return out
