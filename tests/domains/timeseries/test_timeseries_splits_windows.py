"""Time-ordered splits, windows with stride, and the bad-input errors that name the offending value."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from sciddiff.domains.timeseries.datasets import (
    check_series,
    extract_windows,
    forecast_windows,
    load_co2,
    split_by_time,
)


def _series(n: int = 50) -> xr.Dataset:
    time = np.datetime64("2000-01-01") + np.arange(n).astype("timedelta64[D]")
    values = np.stack([np.arange(n, dtype=float), 100 + np.arange(n, dtype=float)], axis=1)
    values[3, 0] = np.nan
    return xr.Dataset(
        {"a": (("time", "variable"), values, {"units": "m"})},
        coords={"time": time, "variable": ["u", "v"]},
        attrs={"title": "toy"},
    )


def test_fraction_split_is_contiguous_and_ordered() -> None:
    data = _series(50)
    split = split_by_time(data, fractions=(0.6, 0.2, 0.2))
    assert [s.sizes["time"] for s in (split.train, split.validation, split.test)] == [30, 10, 10]
    xr.testing.assert_identical(xr.concat([split.train, split.validation, split.test], "time"), data)
    assert split.train.time.values[-1] < split.validation.time.values[0] < split.test.time.values[0]


def test_boundary_split_on_real_dates() -> None:
    split = split_by_time(load_co2(), boundaries=("1990-01-01", "1996-01-01"))
    assert split.train.time.values[-1] < np.datetime64("1990-01-01") <= split.validation.time.values[0]
    assert split.validation.time.values[-1] < np.datetime64("1996-01-01") <= split.test.time.values[0]
    assert split.test.time.values[-1] == np.datetime64("2001-12-29")
    total = sum(int(s.co2.isnull().sum()) for s in (split.train, split.validation, split.test))
    assert total == 59  # gaps are kept as NaN


def test_bad_splits() -> None:
    data = _series(10)
    with pytest.raises(ValueError, match="summing to 1"):
        split_by_time(data, fractions=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="the validation split would be empty"):
        split_by_time(data, fractions=(0.95, 0.01, 0.04))
    with pytest.raises(ValueError, match="boundaries must increase"):
        split_by_time(data, boundaries=("2000-01-05", "2000-01-02"))


def test_windows_are_exact_slices_with_stride() -> None:
    data = _series(50)
    windows = extract_windows(data, window=8, stride=5)
    assert windows.sizes["window"] == (50 - 8) // 5 + 1
    for i in (0, 3, windows.sizes["window"] - 1):
        xr.testing.assert_identical(
            windows.isel(window=i).drop_vars("time"),
            data.isel(time=slice(5 * i, 5 * i + 8)).drop_vars("time").rename(time="step"),
        )
        np.testing.assert_array_equal(windows.time.values[i], data.time.values[5 * i : 5 * i + 8])
    assert np.isnan(windows.a.values[0, 3, 0])  # missing stays missing
    assert windows.a.attrs == {"units": "m"} and list(windows.variable.values) == ["u", "v"]
    segments = extract_windows(data, window=10, stride=10)
    np.testing.assert_array_equal(segments.a.values.reshape(50, 2), data.a.values)


def test_forecast_windows_split_context_and_target() -> None:
    data = _series(30)
    context, target = forecast_windows(data.a, context=16, horizon=4, stride=2)
    assert context.sizes == {"window": 6, "step": 16, "variable": 2}
    assert target.sizes == {"window": 6, "step": 4, "variable": 2}
    np.testing.assert_array_equal(target.values[2, :, 1], 100 + np.arange(20, 24))
    np.testing.assert_array_equal(context.time.values[2, -1] + np.timedelta64(1, "D"), target.time.values[2, 0])


def test_bad_input_errors_name_the_value() -> None:
    data = _series(12)
    with pytest.raises(ValueError, match="series has 12 time steps; the window needs at least 32"):
        extract_windows(data, window=32)
    with pytest.raises(ValueError, match="context of 40 steps is longer than the 12 available time steps"):
        forecast_windows(data, context=40, horizon=4)
    with pytest.raises(ValueError, match=re.escape("context + horizon = 14 steps exceed the 12 available")):
        forecast_windows(data, context=10, horizon=4)
    corrupt = data.copy(deep=True)
    corrupt.a[5, 1] = np.inf
    with pytest.raises(ValueError, match=r"variable 'a' holds 1 infinite value\(s\), the first inf at .*2000-01-06"):
        extract_windows(corrupt, window=4)
    empty = data.copy(deep=True)
    empty.a[:, 1] = np.nan
    check_series(empty)  # the array as a whole has data
    with pytest.raises(ValueError, match=re.escape("variable 'a[variable=v]' is entirely NaN over its 12 entries")):
        check_series(empty, variable_dim="variable")
    with pytest.raises(ValueError, match=re.escape("variable 'b' is entirely NaN")):
        split_by_time(xr.Dataset({"b": ("time", np.full(9, np.nan))}))
    with pytest.raises(ValueError, match=re.escape("data has dims ('t',); expected a 'time' dimension")):
        extract_windows(xr.DataArray(np.zeros(5), dims="t"), window=2)
