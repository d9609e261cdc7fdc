"""Windows and segments along time with a stride, and (context, target) pairs for forecasting."""

from __future__ import annotations

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.datasets.checks import check_series

Data = xr.DataArray | xr.Dataset


def extract_windows(
    data: Data,
    window: int,
    stride: int = 1,
    *,
    time_dim: str = "time",
    window_dim: str = "window",
    step_dim: str = "step",
) -> Data:
    """Windows of ``window`` consecutive steps starting every ``stride`` steps (stride = window gives segments).

    ``time_dim`` is replaced by (``window_dim``, ``step_dim``); the time coordinate becomes 2-D so every entry
    keeps its real time; a trailing part shorter than a window is dropped. NaN stays as missing data.
    """
    check_series(data, time_dim)
    n = data.sizes[time_dim]
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got window={window} and stride={stride}")
    if n < window:
        raise ValueError(f"series has {n} time steps; the window needs at least {window}")
    starts = np.arange(0, n - window + 1, stride)
    index = xr.DataArray(starts[:, None] + np.arange(window)[None, :], dims=(window_dim, step_dim))
    return data.isel({time_dim: index})


def forecast_windows(
    data: Data,
    context: int,
    horizon: int,
    stride: int = 1,
    *,
    time_dim: str = "time",
) -> tuple[Data, Data]:
    """(context, target) windows: ``context`` steps followed by the next ``horizon`` steps, every ``stride`` steps."""
    check_series(data, time_dim)
    n = data.sizes[time_dim]
    if context < 1 or horizon < 1:
        raise ValueError(f"context and horizon must be >= 1, got context={context} and horizon={horizon}")
    if context > n:
        raise ValueError(f"context of {context} steps is longer than the {n} available time steps")
    if context + horizon > n:
        raise ValueError(f"context + horizon = {context + horizon} steps exceed the {n} available time steps")
    windows = extract_windows(data, context + horizon, stride, time_dim=time_dim)
    return windows.isel(step=slice(0, context)), windows.isel(step=slice(context, None))
