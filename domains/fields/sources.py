"""The data sources of the fields adapter, as one structure: raw fields (N, C, H, W) in physical units with their
splits, channel names and units, grid coordinates, labels and boundary type.

Sources: ``digits`` (scikit-learn's 8x8 digits, labelled), ``patches`` (scikit-image photographs; test patches
from held-out images), ``phantoms`` (random ellipses or jittered Shepp-Logan), ``darcy`` (coefficient and
solution stacked as channels), ``navier_stokes`` (vorticity at one time, periodic) and ``netcdf`` (a user file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.fields.datasets import grid_patches, load_digit_splits, random_patches
from sciddiff.domains.fields.simulators import load_darcy, load_navier_stokes, load_phantoms
from torch import Tensor

SOURCES = ("digits", "patches", "phantoms", "darcy", "navier_stokes", "netcdf")


@dataclass
class FieldData:
    """Raw fields (N, C, H, W) float64, index tensors per split, per-channel names/units/long names, the grid's
    coordinates (y, x) and their units, optional labels (N,), and whether the domain is periodic."""

    fields: Tensor
    splits: dict[str, Tensor]
    variables: list[str]
    units: list[str]
    long_names: list[str]
    y: np.ndarray
    x: np.ndarray
    coord_units: str = "1"
    labels: Tensor | None = None
    periodic: bool = False
    attrs: dict[str, Any] = field(default_factory=dict)


def random_split(n: int, seed: int, fractions: tuple[float, float] = (0.1, 0.1)) -> dict[str, Tensor]:
    """A seeded permutation cut into train / val / test (val and test each at least one item)."""
    if n < 3:
        raise ValueError(f"need at least 3 fields to split into train, val and test, got {n}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val, n_test = (max(1, round(f * n)) for f in fractions)
    return {"val": order[:n_val], "test": order[n_val : n_val + n_test], "train": order[n_val + n_test :]}


def _from_dataset(ds: xr.Dataset, names: list[str], split_seed: int, **extra: Any) -> FieldData:
    arrays = [np.asarray(ds[v].values, dtype=np.float64) for v in names]
    fields = torch.as_tensor(np.stack(arrays, 1))
    ydim, xdim = ds[names[0]].dims[-2:]
    return FieldData(
        fields,
        random_split(fields.shape[0], split_seed),
        list(names),
        [str(ds[v].attrs.get("units", "1")) for v in names],
        [str(ds[v].attrs.get("long_name", v)) for v in names],
        np.asarray(ds[ydim].values if ydim in ds.coords else np.arange(fields.shape[-2]), dtype=np.float64),
        np.asarray(ds[xdim].values if xdim in ds.coords else np.arange(fields.shape[-1]), dtype=np.float64),
        str(ds[ydim].attrs.get("units", "1")) if ydim in ds.coords else "pixel",
        **extra,
    )


def _digits(split_seed: int) -> FieldData:
    s = load_digit_splits(split_seed, dtype=torch.float64)
    images = torch.cat([s.train.images, s.val.images, s.test.images])
    labels = torch.cat([s.train.labels, s.val.labels, s.test.labels])
    n_tr, n_val = len(s.train), len(s.val)
    idx = torch.arange(len(labels))
    splits = {"train": idx[:n_tr], "val": idx[n_tr : n_tr + n_val], "test": idx[n_tr + n_val :]}
    grid = np.arange(8, dtype=np.float64)
    return FieldData(images, splits, ["image"], ["1"], ["ink intensity (count / 16)"], grid, grid, "pixel", labels)


def _patches(n: int, size: int, data_seed: int, downscale: int) -> FieldData:
    train = random_patches(n, size, "train", data_seed, downscale, dtype=torch.float64).patches
    val = random_patches(max(1, n // 10), size, "train", data_seed + 1, downscale, dtype=torch.float64).patches
    test = grid_patches(size, split="test", downscale=downscale, dtype=torch.float64).patches
    images = torch.cat([train, val, test])
    a, b = len(train), len(train) + len(val)
    idx = torch.arange(len(images))
    grid = np.arange(size, dtype=np.float64)
    splits = {"train": idx[:a], "val": idx[a:b], "test": idx[b:]}
    return FieldData(images, splits, ["image"], ["1"], ["grey level"], grid, grid, "pixel")


def load_source(source: str, options: dict[str, Any], split_seed: int) -> FieldData:
    """The raw data of ``source`` with the adapter's ``options`` (see :class:`FieldsAdapter`)."""
    size, n, data_seed = options.get("size"), options.get("n"), int(options.get("data_seed", 0))
    if source == "digits":
        if size not in (None, 8):
            raise ValueError(f"the digits are 8x8 images; size={size} is not available (use size=null)")
        return _digits(split_seed)
    if source == "patches":
        return _patches(int(n or 4000), int(size or 32), data_seed, int(options.get("downscale", 1)))
    if source == "phantoms":
        ds = load_phantoms(int(n or 4000), int(size or 64), data_seed, options.get("phantom_kind", "ellipses"))
        return _from_dataset(ds, ["image"], split_seed)
    if source == "darcy":
        if int(size or 32) not in (32, 64):
            raise ValueError(f"Darcy data is generated at 32x32 or 64x64 nodes, got size={size}")
        ds = load_darcy(int(n or 4000), int(size or 32), data_seed)
        return _from_dataset(ds, ["a", "u"], split_seed)
    if source == "navier_stokes":
        t = float(options.get("time", 0.0))
        kw = {"size": int(size or 64), "viscosity": float(options.get("viscosity", 1e-3))}
        ds = load_navier_stokes(int(n or 1000), data_seed, t_final=t, n_times=2 if t > 0 else 1, **kw)
        return _from_dataset(ds.isel(time=-1), ["vorticity"], split_seed, periodic=True, attrs={"time": t})
    if source == "netcdf":
        return _netcdf(options, split_seed)
    raise ValueError(f"unknown fields source {source!r}; choose one of {list(SOURCES)}")


def _netcdf(options: dict[str, Any], split_seed: int) -> FieldData:
    path = options.get("path")
    if not path:
        raise ValueError("source 'netcdf' needs options.path, a netCDF file with variables shaped (sample, y, x)")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no netCDF file at {path}")
    with xr.open_dataset(path) as opened:
        ds = opened.load()
    names = list(options.get("variables") or [v for v in ds.data_vars if ds[v].ndim == 3])
    if not names:
        raise ValueError(f"{path} has no variable shaped (sample, y, x); its variables: {list(ds.data_vars)}")
    for v in names:
        if v not in ds:
            raise ValueError(f"variable {v!r} is not in {path}; it has {list(ds.data_vars)}")
        if ds[v].ndim != 3 or ds[v].dims != ds[names[0]].dims:
            raise ValueError(
                f"variable {v!r} in {path} has dims {ds[v].dims}; every variable must share (sample, y, x) dims "
                f"{ds[names[0]].dims}"
            )
    data = _from_dataset(ds, names, split_seed, periodic=bool(options.get("periodic") or False))
    bad = ~torch.isfinite(data.fields)
    if bool(bad.any()):
        raise ValueError(f"{path} holds {int(bad.sum())} NaN or inf values; the fields adapter needs complete fields")
    return data
