"""The netCDF cache: round trips keep coordinates and attributes; keys cover every argument; no silent overwrite."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from sciddiff.domains.timeseries.cache import cache_dir, cache_path, cached
from sciddiff.domains.timeseries.simulators import simulate_cached, simulate_kuramoto_sivashinsky, simulate_lorenz63


def test_round_trip_preserves_values_coordinates_and_attrs(tmp_path: Path) -> None:
    first = simulate_cached(simulate_kuramoto_sivashinsky, tmp_path, n_steps=4, burn_in=2, seed=5)
    files = list(tmp_path.glob("simulate_kuramoto_sivashinsky-*.nc"))
    assert len(files) == 1
    again = simulate_cached(simulate_kuramoto_sivashinsky, tmp_path, n_steps=4, burn_in=2, seed=5)
    direct = simulate_kuramoto_sivashinsky(4, burn_in=2, seed=5)
    xr.testing.assert_identical(first, again)
    xr.testing.assert_equal(again, direct)  # same values and coordinates as an uncached run
    for name in ("time", "space"):
        assert again[name].attrs == direct[name].attrs
    assert again.u.attrs == direct.u.attrs
    assert {k: again.attrs[k] for k in direct.attrs} == direct.attrs


def test_round_trip_keeps_string_coordinates(tmp_path: Path) -> None:
    ds = simulate_cached(simulate_lorenz63, tmp_path, n_steps=3, burn_in=1)
    assert list(ds.variable.values) == ["x", "y", "z"]
    assert ds.time.attrs["units"] == "model time units"


def test_key_covers_every_argument_and_the_seed(tmp_path: Path) -> None:
    a = simulate_cached(simulate_lorenz63, tmp_path, n_steps=3, burn_in=1, seed=0)
    b = simulate_cached(simulate_lorenz63, tmp_path, n_steps=3, burn_in=1, seed=1)
    c = simulate_cached(simulate_lorenz63, tmp_path, n_steps=3, burn_in=1, seed=0, rho=30.0)
    assert len(list(tmp_path.glob("*.nc"))) == 3
    assert np.abs(a.state.values - b.state.values).max() > 1e-3
    assert np.abs(a.state.values - c.state.values).max() > 1e-3
    # passing a default explicitly is the same key as omitting it
    simulate_cached(simulate_lorenz63, tmp_path, n_steps=3, burn_in=1, seed=0, dt=0.01)
    assert len(list(tmp_path.glob("*.nc"))) == 3


def test_a_different_file_at_the_path_is_never_overwritten(tmp_path: Path) -> None:
    params = {"n": 3}
    path = cache_path("toy", params, tmp_path)
    xr.Dataset({"a": ("t", np.zeros(2))}, attrs={"sciddiff_cache_params": '{"n":4}'}).to_netcdf(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=re.escape("holds parameters '{\"n\":4}', not '{\"n\":3}'")):
        cached("toy", params, lambda: xr.Dataset({"a": ("t", np.ones(2))}), tmp_path)
    assert path.read_bytes() == before


def test_cache_directory_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIDDIFF_CACHE", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv("SCIDDIFF_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "sciddiff"


def test_bad_cache_requests(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("plain file stem, got '../x'")):
        cache_path("../x", {}, tmp_path)
    with pytest.raises(ValueError, match="finite JSON values"):
        cache_path("x", {"a": float("nan")}, tmp_path)
    with pytest.raises(ValueError, match="returned DataArray"):
        cached("x", {}, lambda: xr.DataArray([1.0]), tmp_path)
    with pytest.raises(ValueError, match="bad arguments for simulate_lorenz63"):
        simulate_cached(simulate_lorenz63, tmp_path, n_step=3)
