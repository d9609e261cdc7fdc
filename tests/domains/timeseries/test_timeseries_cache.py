"""Cached simulations: round trips keep coordinates and attributes, and keys cover every argument and the seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
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


def test_bad_simulator_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad arguments for simulate_lorenz63"):
        simulate_cached(simulate_lorenz63, tmp_path, n_step=3)
