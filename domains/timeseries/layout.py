"""How an xarray series maps to model channels and back, keeping names, coordinates, units and attributes.

A series is a DataArray or Dataset with a time dimension, optionally a series dimension (independent
trajectories or cases), variables (the data variables of a Dataset, or the labels along a variable dimension of a
DataArray) and spatial dimensions. Channels are variables x spatial points in row-major order, so channel
c = v * P + p for variable v and flat spatial index p; values become an array (series, time, channels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.datasets.checks import check_series

AUTO_SERIES = ("trajectory", "case", "series")
AUTO_VARIABLE = ("variable", "channel", "feature")


def plain_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as plain Python (numbers, strings, lists), as checkpoints and netCDF store them."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, np.generic):
            v = v.item()
        elif isinstance(v, np.ndarray):
            v = v.tolist()
        out[str(k)] = v if isinstance(v, int | float | str | list) else str(v)
    return out


def _plain_values(values: np.ndarray) -> list[Any]:
    if np.issubdtype(values.dtype, np.datetime64):
        return [str(v) for v in values.astype("datetime64[ns]")]
    return values.tolist()


def _coord_values(values: Sequence[Any], kind: str) -> np.ndarray:
    return np.array(values, dtype="datetime64[ns]") if kind == "datetime" else np.asarray(values)


@dataclass
class SeriesLayout:
    """The dimension roles and metadata of a series (everything needed to rebuild xarray from channels)."""

    time_dim: str
    series_dim: str | None
    variable_dim: str | None
    variables: list[str]
    name: str
    var_attrs: list[dict[str, Any]]
    spatial_dims: list[str] = field(default_factory=list)
    spatial_sizes: list[int] = field(default_factory=list)
    spatial_coords: dict[str, dict[str, Any]] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    time_attrs: dict[str, Any] = field(default_factory=dict)
    time_kind: str = "numeric"
    time_step: float = 1.0
    """The median time increment: in the coordinate's units, or in nanoseconds for datetime coordinates."""

    @property
    def points(self) -> int:
        """P, the number of spatial points per variable."""
        return math.prod(self.spatial_sizes)

    @property
    def channels(self) -> int:
        """C = V * P."""
        return len(self.variables) * self.points

    def channel_variable(self) -> np.ndarray:
        """The variable index of every channel, shape (C,)."""
        return np.repeat(np.arange(len(self.variables)), self.points)

    def channel_label(self, c: int) -> str:
        """A readable name of channel c, e.g. ``x`` or ``u[space=3.4]``."""
        v, p = divmod(c, self.points)
        if not self.spatial_dims:
            return self.variables[v]
        index = np.unravel_index(p, self.spatial_sizes)
        where = ", ".join(
            f"{d}={self.spatial_coords[d]['values'][i]}" for d, i in zip(self.spatial_dims, index, strict=True)
        )
        return f"{self.variables[v]}[{where}]"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> SeriesLayout:
        return cls(**dict(state))

    # ------------------------------------------------------------------ back to xarray
    def relative_time(self, length: int) -> tuple[np.ndarray, dict[str, Any]]:
        """Offsets 0, step, 2 step, ... for generated windows (timedelta64 for datetime series)."""
        if self.time_kind == "datetime":
            return np.arange(length) * np.timedelta64(round(self.time_step), "ns"), {"long_name": "time offset"}
        return np.arange(length) * self.time_step, {**self.time_attrs, "long_name": "time offset"}

    def dataset(
        self,
        values: np.ndarray,
        lead_dims: Sequence[str],
        time: np.ndarray | None = None,
        attrs: Mapping[str, Any] | None = None,
        step_dim: str | None = None,
    ) -> xr.Dataset:
        """Values (*lead, C, L) as a Dataset in the original structure (one data variable per variable, or one
        variable with the variable dimension), with spatial coordinates and units.

        ``time``: (L,) times (an index coordinate on the time dimension), (*lead[:k], L) times, one row per window
        (a coordinate over the first k lead dims and ``step_dim``, default "step"), or None for offsets from the
        window start.
        """
        lead = tuple(values.shape[:-2])
        length = values.shape[-1]
        if values.shape[-2] != self.channels or len(lead) != len(lead_dims):
            raise ValueError(
                f"values have shape {values.shape}; expected (*{tuple(lead_dims)}, {self.channels}, L) for this layout"
            )
        split = values.reshape(*lead, len(self.variables), *self.spatial_sizes, length)
        split = np.moveaxis(split, -1, len(lead))  # (*lead, L, V, *spatial)
        time_dim = self.time_dim
        coords: dict[str, Any] = {
            d: (
                d,
                _coord_values(self.spatial_coords[d]["values"], self.spatial_coords[d]["kind"]),
                self.spatial_coords[d]["attrs"],
            )
            for d in self.spatial_dims
        }
        if time is None:
            offsets, t_attrs = self.relative_time(length)
            coords[time_dim] = (time_dim, offsets, t_attrs)
        elif np.ndim(time) == 1:
            coords[time_dim] = (time_dim, np.asarray(time), self.time_attrs)
        else:
            time_dim = step_dim or "step"
            time = np.asarray(time)
            coords[self.time_dim] = ((*lead_dims[: time.ndim - 1], time_dim), time, self.time_attrs)
        dims = (*lead_dims, time_dim)
        if self.variable_dim is None:
            axis = len(lead) + 1
            data = {
                v: xr.Variable((*dims, *self.spatial_dims), np.take(split, i, axis=axis), self.var_attrs[i])
                for i, v in enumerate(self.variables)
            }
        else:
            coords[self.variable_dim] = (self.variable_dim, self.variables)
            data = {self.name: xr.Variable((*dims, self.variable_dim, *self.spatial_dims), split, self.var_attrs[0])}
        return xr.Dataset(data, coords=coords, attrs={**self.attrs, **dict(attrs or {})})


def _auto(dims: Sequence[str], given: str | None, candidates: Sequence[str], what: str) -> str | None:
    if given is not None:
        if given not in dims:
            raise ValueError(f"{what} {given!r} is not a dimension of the data; its dims are {tuple(dims)}")
        return given
    return next((d for d in candidates if d in dims), None)


def _select(data: xr.DataArray | xr.Dataset, variables: Sequence[str] | None) -> xr.DataArray | xr.Dataset:
    if isinstance(data, xr.DataArray):
        if variables is not None:
            raise ValueError("variables selects data variables of a Dataset; this data is a single DataArray")
        return data
    names = list(data.data_vars) if variables is None else list(variables)
    unknown = [v for v in names if v not in data.data_vars]
    if unknown or not names:
        raise ValueError(f"variables {unknown or names} are not in the dataset; it holds {list(data.data_vars)}")
    return data[names]


IRREGULAR_STEP = 0.15  # largest relative deviation of a time step from the median step


def from_xarray(
    data: xr.DataArray | xr.Dataset,
    time_dim: str = "time",
    series_dim: str | None = None,
    variable_dim: str | None = None,
    variables: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, SeriesLayout]:
    """(values (S, T, C) float64 with NaN for missing data, time coordinate (T,), layout) of a series.

    Raises ``ValueError`` for data without the time dimension, non-numeric or infinite values, an all-NaN
    variable, or data variables whose dimensions disagree.
    """
    if not isinstance(data, xr.DataArray | xr.Dataset):
        raise ValueError(f"expected an xarray DataArray or Dataset, got {type(data).__name__}")
    data = _select(data, variables)
    dataset_attrs = plain_attrs(data.attrs) if isinstance(data, xr.Dataset) else {}
    if isinstance(data, xr.Dataset) and len(data.data_vars) == 1:
        (only,) = data.data_vars
        if _auto(data[only].dims, variable_dim, AUTO_VARIABLE, "variable_dim") is not None:
            data = data[only]
    if time_dim not in data.dims:
        raise ValueError(f"data has dims {tuple(data.dims)}; expected a {time_dim!r} dimension")
    if isinstance(data, xr.Dataset):
        dim_sets = {v: data[v].dims for v in data.data_vars}
        if len(set(dim_sets.values())) != 1:
            raise ValueError(f"data variables must share their dimensions to be modelled together, got {dim_sets}")
        dims = next(iter(dim_sets.values()))
        variable_dim = None
    else:
        dims = data.dims
        variable_dim = _auto(dims, variable_dim, AUTO_VARIABLE, "variable_dim")
    series_dim = _auto(dims, series_dim, AUTO_SERIES, "series_dim")
    if series_dim == variable_dim and series_dim is not None:
        raise ValueError(f"dimension {series_dim!r} cannot be both the series and the variable dimension")
    check_series(data, time_dim, variable_dim)
    spatial = [d for d in dims if d not in (time_dim, series_dim, variable_dim)]
    order = [d for d in (series_dim, time_dim, variable_dim) if d is not None] + spatial
    source = data if isinstance(data, xr.Dataset) else data.to_dataset(name=str(data.name or "value"))
    if isinstance(data, xr.Dataset):
        names = [str(v) for v in data.data_vars]
        stacked = np.stack([np.asarray(data[v].transpose(*order).values, dtype=np.float64) for v in names], axis=-1)
        stacked = np.moveaxis(stacked, -1, 2 if series_dim else 1)  # (S?, T, V, *spatial)
        var_attrs = [plain_attrs(data[v].attrs) for v in names]
        name = "value"
    else:
        values = np.asarray(data.transpose(*order).values, dtype=np.float64)
        if variable_dim is None:
            values = values[:, :, None] if series_dim else values[:, None]
            names = [str(data.name or "value")]
        else:
            names = [str(v) for v in data[variable_dim].values]
        stacked = values
        var_attrs = [plain_attrs(data.attrs)] * len(names)
        name = str(data.name or "value")
    if series_dim is None:
        stacked = stacked[None]
    n_series, n_time = stacked.shape[:2]
    values = stacked.reshape(n_series, n_time, -1)
    time = source[time_dim].values
    kind = "datetime" if np.issubdtype(time.dtype, np.datetime64) else "numeric"
    if kind == "numeric" and not np.issubdtype(time.dtype, np.number):
        raise ValueError(f"the {time_dim!r} coordinate has dtype {time.dtype}; expected numbers or datetimes")
    step = np.diff(time.astype("datetime64[ns]").astype(np.int64) if kind == "datetime" else time.astype(float))
    if step.size and not (step > 0).all():
        raise ValueError(
            f"the {time_dim!r} coordinate must increase strictly; it does not at index {np.argmin(step > 0)}"
        )
    irregular = np.abs(step / np.median(step) - 1) > IRREGULAR_STEP if step.size else np.zeros(0, dtype=bool)
    if irregular.any():  # calendar months (28-31 days) pass; a skipped stretch does not
        i = int(np.argmax(irregular))
        raise ValueError(
            f"the {time_dim!r} coordinate is irregular: the step after index {i} is {step[i] / np.median(step):.3g} "
            f"times the median step; give missing stretches as NaN rows on a regular axis (e.g. with reindex)"
        )
    spatial_coords = {}
    for d in spatial:
        coord = source[d].values if d in source.coords else np.arange(source.sizes[d])
        attrs_d = plain_attrs(source[d].attrs) if d in source.coords else {}
        kind_d = "datetime" if np.issubdtype(coord.dtype, np.datetime64) else "plain"
        spatial_coords[d] = {"values": _plain_values(coord), "attrs": attrs_d, "kind": kind_d}
    layout = SeriesLayout(
        time_dim=time_dim,
        series_dim=series_dim,
        variable_dim=variable_dim,
        variables=names,
        name=name,
        var_attrs=var_attrs,
        spatial_dims=spatial,
        spatial_sizes=[int(source.sizes[d]) for d in spatial],
        spatial_coords=spatial_coords,
        attrs=dataset_attrs,
        time_attrs=plain_attrs(source[time_dim].attrs),
        time_kind=kind,
        time_step=float(np.median(step)) if step.size else 1.0,
    )
    return values, time, layout


def check_compatible(model: SeriesLayout, other: SeriesLayout, what: str = "the data") -> None:
    """Raise ``ValueError`` unless ``other`` has the model's variables (and their units, where both give them),
    spatial dimensions and coordinates."""
    if other.variables != model.variables:
        raise ValueError(f"{what} has variables {other.variables}; the model was trained on {model.variables}")
    for v, mine, theirs in zip(model.variables, model.var_attrs, other.var_attrs, strict=True):
        if "units" in mine and "units" in theirs and str(mine["units"]) != str(theirs["units"]):
            raise ValueError(f"{what} gives {v!r} in units {theirs['units']!r}; the model's are {mine['units']!r}")
    if other.spatial_dims != model.spatial_dims or other.spatial_sizes != model.spatial_sizes:
        raise ValueError(
            f"{what} has spatial dims {dict(zip(other.spatial_dims, other.spatial_sizes, strict=True))}; the model "
            f"was trained on {dict(zip(model.spatial_dims, model.spatial_sizes, strict=True))}"
        )
    for d in model.spatial_dims:
        mine, theirs = model.spatial_coords[d]["values"], other.spatial_coords[d]["values"]
        if not np.array_equal(np.asarray(mine), np.asarray(theirs)):
            bad = next(i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b)
            raise ValueError(
                f"{what} has {d!r} coordinate {theirs[bad]!r} at index {bad}; the model's is {mine[bad]!r}"
            )
    if other.time_kind != model.time_kind:
        raise ValueError(f"{what} has a {other.time_kind} time coordinate; the model's is {model.time_kind}")
    if not np.isclose(other.time_step, model.time_step, rtol=1e-6):
        raise ValueError(
            f"{what} has a time step of {other.time_step:g}; the model was trained with {model.time_step:g}"
            + (" ns" if model.time_kind == "datetime" else "")
        )
