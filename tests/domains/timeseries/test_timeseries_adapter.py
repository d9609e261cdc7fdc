"""The time-series adapter: xarray round trips (coordinates, units, NaN masks), exact normalisation fitted on the
training split only, time-ordered splits, persistence, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries.layout import from_xarray
from ts_oracles import ar1_series


def station_series(n_time: int = 200, seed: int = 1) -> xr.DataArray:
    """(station, time, variable) values with units, station coordinates and a few NaN gaps."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(3, n_time, 2)) * np.array([1.0, 10.0]) + np.array([20.0, 1000.0])
    values[1, 10:14, 0] = np.nan
    values[2, 150, 1] = np.nan
    return xr.DataArray(
        values,
        dims=("station", "time", "variable"),
        coords={
            "station": ("station", [10.5, 11.0, 12.25], {"units": "degrees_east"}),
            "time": ("time", np.datetime64("2000-01-01") + np.arange(n_time) * np.timedelta64(1, "D")),
            "variable": ["temperature", "pressure"],
        },
        attrs={"units": "mixed", "long_name": "station readings"},
        name="reading",
    )


def test_round_trip_keeps_values_coordinates_units_and_nan(tmp_path: Path) -> None:
    data = station_series()
    adapter = TimeSeriesAdapter(data=data, window=16, stride=4, split={"fractions": [0.6, 0.2, 0.2]})
    splits = adapter.datasets(seed=0)
    assert adapter.layout.spatial_dims == ["station"] and adapter.channels == 6  # 2 variables x 3 stations
    wins = adapter.splits["train"]
    j = int(np.flatnonzero(wins.start == 8)[0])  # steps 8..23 hold the NaN gap of station 1
    raw = wins.raw(j)
    item = splits["train"][j]
    np.testing.assert_array_equal(item["mask"].numpy(), np.isfinite(raw.numpy()))
    assert int((~item["mask"]).sum()) == 4 and bool((item["x"][~item["mask"]] == 0).all())
    state = torch.where(item["mask"], item["x"].double(), torch.nan)
    back = adapter.decode(state[None])[0]
    np.testing.assert_allclose(back.numpy(), raw.numpy(), rtol=1e-6, atol=1e-4)  # float32 state
    ds = adapter.to_xarray(back[None], {"note": "round trip"}, time=wins.times(j))
    expected = data.isel(time=slice(8, 24)).transpose("time", "variable", "station")
    got = ds["reading"].isel(sample=0)
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-6, atol=1e-4)  # NaN at the same places
    np.testing.assert_array_equal(got.time.values, expected.time.values)
    assert list(got["variable"].values) == ["temperature", "pressure"]
    np.testing.assert_array_equal(got.station.values, [10.5, 11.0, 12.25])
    assert got.station.attrs == {"units": "degrees_east"} and got.attrs["units"] == "mixed"
    assert ds.attrs["note"] == "round trip"
    path = tmp_path / "window.nc"
    ds.to_netcdf(path)
    xr.testing.assert_allclose(xr.load_dataset(path)["reading"], ds["reading"])


def test_dataset_of_several_variables_keeps_each_variables_units() -> None:
    data = ar1_series(400).to_dataset(dim="variable")
    data["a"].attrs, data["b"].attrs = {"units": "m"}, {"units": "kg"}
    data.attrs["title"] = "two AR(1) series"
    values, time, layout = from_xarray(data)
    assert values.shape == (1, 400, 2) and layout.variables == ["a", "b"]
    ds = layout.dataset(values[0].T[None], ["sample"], time)
    assert (
        ds["a"].attrs == {"units": "m"}
        and ds["b"].attrs == {"units": "kg"}
        and ds.attrs["title"] == data.attrs["title"]
    )
    np.testing.assert_array_equal(ds["b"].isel(sample=0).values, data["b"].values)
    assert ds.time.attrs == {"units": "s"}


def test_normalisation_is_fitted_on_the_training_split_only_and_is_exact() -> None:
    data = ar1_series(1000)
    data[900:] += 100.0  # the test block is shifted: it must not enter the statistics
    adapter = TimeSeriesAdapter(data=data, window=8, split={"fractions": [0.7, 0.1, 0.2]})
    splits = adapter.datasets(seed=0)
    train = data.isel(time=slice(0, 700)).values
    np.testing.assert_allclose(adapter.norm.mean.numpy(), train.mean(0), rtol=1e-13)
    np.testing.assert_allclose(adapter.norm.scale.numpy(), train.std(0), rtol=1e-13)
    raw = adapter.splits["test"].all_raw()
    np.testing.assert_allclose(adapter.norm.decode(adapter.norm.encode(raw)).numpy(), raw.numpy(), rtol=1e-14)
    expected = (raw - torch.as_tensor(train.mean(0))[:, None]) / torch.as_tensor(train.std(0))[:, None]
    torch.testing.assert_close(splits["test"][3]["x"], expected[3].float(), rtol=0, atol=1e-6)
    assert adapter.splits["train"].start.max() + 8 <= 700 and adapter.splits["test"].start.min() >= 800
    scale, offset = adapter.affine()
    torch.testing.assert_close(adapter.decode(splits["val"][0]["x"][None])[0], scale * splits["val"][0]["x"] + offset)
    fresh = TimeSeriesAdapter(data=data, window=8)
    fresh.load_state_dict(adapter.state_dict())
    torch.testing.assert_close(fresh.decode(expected), adapter.decode(expected), rtol=0, atol=0)
    assert fresh.layout == adapter.layout


def test_window_centering_uses_each_windows_observed_level() -> None:
    data = ar1_series(600)
    data[:, 0] += np.linspace(0.0, 50.0, 600)  # a strong trend in variable a
    adapter = TimeSeriesAdapter(data=data, window=16, center="window", center_jitter=0.0)
    items = adapter.datasets(seed=0)
    for i in (0, 7, 200):
        x = items["train"][i]["x"].double()
        torch.testing.assert_close(x.mean(-1), torch.zeros(2, dtype=torch.float64), atol=1e-6, rtol=0)
        raw = adapter.splits["train"].raw(i)
        offset = adapter.norm.window_offset(raw, torch.isfinite(raw))
        torch.testing.assert_close(offset[:, 0], raw.mean(-1))
        torch.testing.assert_close(adapter.decode(x[None], offset[None])[0], raw, atol=1e-4, rtol=0)
    centred = np.lib.stride_tricks.sliding_window_view(data.values[:420], 16, axis=0)  # (windows, C, L)
    pooled = np.sqrt(((centred - centred.mean(-1, keepdims=True)) ** 2).mean(axis=(0, 2)))
    np.testing.assert_allclose(adapter.norm.scale.numpy(), pooled, rtol=1e-12)


def test_items_are_a_function_of_the_seed_and_index() -> None:
    adapter = TimeSeriesAdapter(data=ar1_series(300), window=8, conditional=True, replicas=3)
    items = adapter.datasets(seed=5)["train"]
    n = len(adapter.splits["train"])
    assert len(items) == 3 * n
    first, again = items[4], items[4]
    torch.testing.assert_close(first["cond"]["context"], again["cond"]["context"])
    torch.testing.assert_close(first["x"], items[4 + n]["x"])  # the same window, another replica
    masks = [items[4 + k * n]["cond"]["context"][2:] for k in range(3)]
    assert not (torch.equal(masks[0], masks[1]) and torch.equal(masks[1], masks[2]))


def test_simulator_sources_and_their_layouts() -> None:
    adapter = TimeSeriesAdapter(source="lorenz96", simulator={"n_steps": 300, "burn_in": 10}, window=16)
    items = adapter.datasets(seed=0)
    assert adapter.channels == 40 and adapter.layout.spatial_dims == ["space"]
    assert adapter.default_backbone()["feature_mixing"] == "circular"
    assert items["train"][0]["x"].shape == (40, 16) and "mask" not in items["train"][0]
    l63 = TimeSeriesAdapter(source="lorenz63", simulator={"n_steps": 300, "burn_in": 10}, window=16)
    l63.datasets(seed=0)
    assert l63.layout.variables == ["x", "y", "z"] and l63.default_backbone()["feature_mixing"] == "attention"
    co2 = TimeSeriesAdapter(source="co2", window=52, calendar=["dayofyear"])
    item = co2.datasets(seed=0)["train"][0]
    assert "mask" in item and co2.conditions() == {"context_channels": 2}
    t = co2.splits["train"].times(0)
    angle = 2 * np.pi * (np.asarray(t, "datetime64[D]").astype(object)[0].timetuple().tm_yday - 1) / 365.25
    torch.testing.assert_close(item["cond"]["context"][:, 0], torch.tensor([np.sin(angle), np.cos(angle)]).float())


def test_static_covariates_become_labels() -> None:
    adapter = TimeSeriesAdapter(source="basic_motions", window=20, stride=20, split={"by": "series"}, static=["label"])
    items = adapter.datasets(seed=0)
    assert adapter.channels == 6 and adapter.conditions() == {"num_classes": 4}
    classes = adapter.static_maps["label"]["classes"]
    assert classes == ["badminton", "running", "standing", "walking"]
    series = int(adapter.splits["test"].series[0])
    assert int(items["test"][0]["cond"]["label"]) == classes.index(str(adapter.load()["label"].values[series]))


def test_bad_input_gives_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="series has 20 time steps; the window needs at least 32"):
        TimeSeriesAdapter(data=ar1_series(20), window=32).datasets(0)
    with pytest.raises(ValueError, match="the val split has 15 time steps; the window needs at least 32"):
        TimeSeriesAdapter(data=ar1_series(100), window=32).datasets(0)
    nan = ar1_series(100)
    nan[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"variable 'level\[variable=b\]' is entirely NaN"):
        TimeSeriesAdapter(data=nan, window=8).datasets(0)
    inf = ar1_series(100)
    inf[7, 0] = np.inf
    with pytest.raises(ValueError, match="holds 1 infinite value"):
        TimeSeriesAdapter(data=inf, window=8).datasets(0)
    with pytest.raises(ValueError, match=r"data has dims \('step', 'variable'\); expected a 'time' dimension"):
        TimeSeriesAdapter(data=ar1_series(100).rename(time="step"), window=8).datasets(0)
    late = ar1_series(100)
    late[:80, 1] = np.nan
    with pytest.raises(ValueError, match="variable 'b' has no observed value in the training split"):
        TimeSeriesAdapter(data=late, window=8).datasets(0)
    with pytest.raises(ValueError, match="unknown source 'lorenz99'"):
        TimeSeriesAdapter(source="lorenz99").datasets(0)
    with pytest.raises(FileNotFoundError, match="no netCDF file at"):
        TimeSeriesAdapter(source=str(tmp_path / "missing.nc")).datasets(0)
    with pytest.raises(ValueError, match="unknown mask strategies"):
        TimeSeriesAdapter(conditional=True, masks={"strategies": ["historical"]})


def test_mismatched_coordinates_are_refused(tmp_path: Path) -> None:
    adapter = TimeSeriesAdapter(data=station_series(), window=16)
    adapter.datasets(0)
    other = station_series().assign_coords(station=[10.5, 11.0, 13.0])
    with pytest.raises(ValueError, match=r"has 'station' coordinate 13.0 at index 2; the model's is 12.25"):
        adapter.read(other, "the observations")
    renamed = station_series().assign_coords(variable=["temperature", "humidity"])
    with pytest.raises(ValueError, match=r"has variables \['temperature', 'humidity'\]; the model was trained on"):
        adapter.read(renamed, "the observations")
    coarse = station_series().isel(time=slice(None, None, 2))
    with pytest.raises(ValueError, match="has a time step of"):
        adapter.read(coarse, "the observations")
    skipped = station_series().isel(time=np.r_[0:50, 55:200])  # five days dropped instead of given as NaN
    with pytest.raises(ValueError, match=r"'time' coordinate is irregular: the step after index 49 is 6 times"):
        adapter.read(skipped, "the observations")
    kelvin = station_series().assign_attrs(units="K")
    with pytest.raises(ValueError, match=r"gives 'temperature' in units 'K'; the model's are 'mixed'"):
        adapter.read(kelvin, "the observations")
    path = tmp_path / "user.nc"
    station_series().to_netcdf(path)
    from_file = TimeSeriesAdapter(source=str(path), window=16)
    from_file.datasets(0)
    assert from_file.layout == adapter.layout


def test_numeric_static_covariates_are_standardised_and_must_be_finite() -> None:
    elevation = np.array([100.0, 200.0, 400.0])
    data = station_series().assign_coords(elevation=("station", elevation))
    adapter = TimeSeriesAdapter(data=data, window=16, series_dim="station", static=["elevation"])
    adapter.datasets(0)
    spec = adapter.static_maps["elevation"]
    assert spec["mean"] == pytest.approx(elevation.mean()) and spec["std"] == pytest.approx(elevation.std())
    holed = station_series().assign_coords(elevation=("station", [100.0, np.nan, 400.0]))
    with pytest.raises(ValueError, match=r"static covariate 'elevation' has 1 non-finite values \(first at series 1\)"):
        TimeSeriesAdapter(data=holed, window=16, series_dim="station", static=["elevation"]).datasets(0)


def test_a_single_series_may_leave_out_the_models_series_dimension() -> None:
    adapter = TimeSeriesAdapter(source="lorenz63", window=16)
    adapter.datasets(0)
    data = adapter.load()
    one = data.isel(trajectory=0, time=slice(0, 40))  # no trajectory dimension, as a user's file would be
    values, time = adapter.read(one, "the observations")
    expected, _ = adapter.read(data.isel(trajectory=[0], time=slice(0, 40)), "the observations")
    assert values.shape == (1, 40, 3) and np.array_equal(values, expected)
    np.testing.assert_array_equal(time, data["time"].values[:40])
