"""The netCDF cache: round trips with coordinates and attributes, keys, the environment default, and refusal to
use or overwrite a file holding other parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sciddiff.train.cache import PARAMS_ATTR, cache_dir, cache_path, cached, load_plain, save_plain


def small_dataset(seed: int) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {"field": (("sample", "y", "x"), rng.standard_normal((2, 3, 4)), {"units": "m/s"})},
        coords={"y": ("y", np.linspace(0, 1, 3), {"units": "m"}), "x": ("x", np.linspace(-2, 2, 4), {"units": "m"})},
    )


def test_round_trip_keeps_values_coordinates_and_units(tmp_path: Path) -> None:
    calls = []

    def build() -> xr.Dataset:
        calls.append(1)
        return small_dataset(0)

    first = cached("demo", {"seed": 0, "size": 3}, build, tmp_path)
    second = cached("demo", {"size": 3, "seed": 0}, build, tmp_path)  # key order does not matter
    assert len(calls) == 1
    xr.testing.assert_identical(first, second)
    xr.testing.assert_equal(second.drop_attrs(), small_dataset(0).drop_attrs())
    assert second["x"].attrs["units"] == "m" and second["field"].attrs["units"] == "m/s"


def test_parameters_and_seeds_give_distinct_files(tmp_path: Path) -> None:
    paths = {cache_path("demo", p, tmp_path) for p in ({"seed": 0}, {"seed": 1}, {"seed": 0, "n": 2})}
    assert len(paths) == 3
    assert cache_path("other", {"seed": 0}, tmp_path) not in paths


def test_a_file_with_other_parameters_is_refused_and_kept(tmp_path: Path) -> None:
    path = cache_path("demo", {"seed": 0}, tmp_path)
    foreign = small_dataset(1)
    foreign.attrs[PARAMS_ATTR] = '{"seed":7}'
    foreign.to_netcdf(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="holds parameters"):
        cached("demo", {"seed": 0}, lambda: small_dataset(0), tmp_path)
    assert path.read_bytes() == before


def test_environment_default_and_bad_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIDDIFF_CACHE", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env" and (tmp_path / "env").is_dir()
    monkeypatch.delenv("SCIDDIFF_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "sciddiff"
    with pytest.raises(ValueError, match="JSON"):
        cache_path("demo", {"rng": object()}, tmp_path)
    with pytest.raises(ValueError, match="finite JSON values"):
        cache_path("x", {"a": float("nan")}, tmp_path)
    with pytest.raises(ValueError, match="file stem"):
        cache_path("../escape", {}, tmp_path)
    with pytest.raises(ValueError, match=r"xarray\.Dataset"):
        cached("demo", {"seed": 9}, lambda: np.zeros(3), tmp_path)  # type: ignore[arg-type,return-value]


def test_plain_tensor_files_round_trip_without_pickles(tmp_path: Path) -> None:
    import torch

    save_plain({"x": torch.arange(3), "names": ["a", "b"]}, tmp_path / "p.pt")
    back = load_plain(tmp_path / "p.pt")
    assert torch.equal(back["x"], torch.arange(3)) and back["names"] == ["a", "b"]
