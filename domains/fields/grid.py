"""Field tensors <-> xarray, and explicit resampling onto a model's grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import xarray as xr
from torch import Tensor


def fields_to_xarray(
    raw: Tensor,
    variables: Sequence[str],
    units: Sequence[str],
    long_names: Sequence[str],
    coords: Mapping[str, np.ndarray],
    coord_units: str,
    attrs: Mapping[str, Any],
) -> xr.Dataset:
    """(S, C, H, W) fields as a Dataset with one variable per channel, dims (sample, y, x)."""
    raw = raw.detach().cpu().to(torch.float64)
    if raw.dim() != 4 or raw.shape[1] != len(variables):
        raise ValueError(f"fields of shape {tuple(raw.shape)} do not match (sample, {len(variables)}, y, x)")
    data = {
        v: (("sample", "y", "x"), raw[:, i].numpy(), {"units": units[i], "long_name": long_names[i]})
        for i, v in enumerate(variables)
    }
    return xr.Dataset(
        data,
        coords={
            "sample": np.arange(raw.shape[0]),
            "y": ("y", np.asarray(coords["y"]), {"units": coord_units}),
            "x": ("x", np.asarray(coords["x"]), {"units": coord_units}),
        },
        attrs=dict(attrs),
    )


def xarray_to_fields(data: xr.Dataset | xr.DataArray, variables: Sequence[str], units: Sequence[str]) -> xr.Dataset:
    """The model's variables of ``data`` (a DataArray counts as the single variable), checked for presence, for
    (sample, y, x) or (y, x) dims and for matching ``units`` attributes; returned with a sample dim."""
    if isinstance(data, xr.DataArray):
        if len(variables) != 1:
            raise ValueError(f"a single DataArray cannot fill the {len(variables)} channels {list(variables)}")
        data = data.to_dataset(name=variables[0])
    missing = [v for v in variables if v not in data]
    if missing:
        raise ValueError(f"the dataset lacks variables {missing}; this model needs {list(variables)}")
    out = {}
    for v, unit in zip(variables, units, strict=True):
        arr = data[v]
        if arr.ndim == 2:
            arr = arr.expand_dims("sample")
        if arr.ndim != 3:
            raise ValueError(f"variable {v!r} has dims {arr.dims}; expected (sample, y, x) or (y, x)")
        given = arr.attrs.get("units")
        if given is not None and str(given) != unit:
            raise ValueError(f"variable {v!r} is in units {given!r}; this model expects {unit!r}")
        out[v] = arr.rename(dict(zip(arr.dims, ("sample", "y", "x"), strict=True)))
    return xr.Dataset(out)


def resample_dataset(ds: xr.Dataset, y: np.ndarray, x: np.ndarray, periodic: bool) -> xr.Dataset:
    """Linear interpolation of (sample, y, x) variables onto the coordinates (y, x); a periodic field is padded
    by one period first so the wrap-around is interpolated too. Points outside a bounded grid are an error."""
    if periodic:
        ly, lx = _period(ds["y"].values), _period(ds["x"].values)
        ds = xr.concat([ds, ds.isel(y=[0]).assign_coords(y=ds["y"].values[:1] + ly)], "y")
        ds = xr.concat([ds, ds.isel(x=[0]).assign_coords(x=ds["x"].values[:1] + lx)], "x")
    out = ds.interp(y=y, x=x, method="linear")
    bad = [v for v in out.data_vars if bool(out[v].isnull().any())]
    if bad:
        raise ValueError(
            f"resampling onto the model grid y in [{y.min():g}, {y.max():g}], x in [{x.min():g}, {x.max():g}] "
            f"leaves points outside the data's grid (variables {bad}); the data must cover the model's domain"
        )
    return out


def _period(c: np.ndarray) -> float:
    """Period of a uniform periodic axis: n * spacing."""
    return float(len(c) * (c[1] - c[0])) if len(c) > 1 else 1.0


def resample_tensor(raw: Tensor, size: tuple[int, int], periodic: bool, nodes: bool) -> Tensor:
    """(B, C, h, w) fields interpolated to ``size``: periodic fields by Fourier interpolation (the frequencies
    |k| < min(h, H) / 2 per axis are kept, exact for fields band-limited below both Nyquist frequencies), others
    bilinearly (``nodes``: grids that include both boundary nodes, aligned at the corners; else cell-centred
    pixels), anti-aliased when shrinking."""
    if periodic:
        return _fourier_resample(raw, size)
    shrink = size[0] < raw.shape[-2] or size[1] < raw.shape[-1]
    return F.interpolate(raw, size=size, mode="bilinear", align_corners=nodes, antialias=shrink)


def _fourier_resample(raw: Tensor, size: tuple[int, int]) -> Tensor:
    h, w = raw.shape[-2:]
    spec = torch.fft.fft2(raw.to(torch.float64))
    out = torch.zeros(*raw.shape[:-2], *size, dtype=spec.dtype)
    ky, kx = torch.fft.fftfreq(h, 1 / h), torch.fft.fftfreq(w, 1 / w)
    keep_y = ky.abs() < min(h, size[0]) / 2
    keep_x = kx.abs() < min(w, size[1]) / 2
    ty, tx = ky[keep_y].long() % size[0], kx[keep_x].long() % size[1]
    out[..., ty[:, None], tx[None, :]] = spec[..., keep_y, :][..., keep_x]
    return torch.fft.ifft2(out).real * (size[0] * size[1]) / (h * w)
