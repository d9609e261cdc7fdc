"""Data sources by name: the project's simulators (through the netCDF cache), the offline real series, or a
user's netCDF file. Each comes with the dimension roles the adapter needs (series, variables)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr
from sciddiff.domains.timeseries.datasets.co2 import load_co2
from sciddiff.domains.timeseries.datasets.sunspots import load_sunspots_monthly
from sciddiff.domains.timeseries.datasets.uea import load_basic_motions, load_japanese_vowels
from sciddiff.domains.timeseries.simulators import (
    simulate_cached,
    simulate_kuramoto_sivashinsky,
    simulate_lorenz63,
    simulate_lorenz96,
    simulate_stochastic_lorenz63,
)


@dataclass(frozen=True)
class Source:
    """How to load a named source, its default simulator arguments and its dimension roles."""

    load: Callable[..., xr.Dataset]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    series_dim: str | None = None
    variable_dim: str | None = None
    periodic: bool = False
    simulated: bool = False


SOURCES: dict[str, Source] = {
    "lorenz63": Source(simulate_lorenz63, {"n_steps": 20000}, "trajectory", "variable", simulated=True),
    "stochastic_lorenz63": Source(
        simulate_stochastic_lorenz63, {"n_steps": 4096, "n_trajectories": 16}, "trajectory", "variable", simulated=True
    ),
    "lorenz96": Source(simulate_lorenz96, {"n_steps": 20000}, "trajectory", None, periodic=True, simulated=True),
    "ks": Source(simulate_kuramoto_sivashinsky, {"n_steps": 20000}, "trajectory", None, periodic=True, simulated=True),
    "co2": Source(load_co2),
    "sunspots": Source(load_sunspots_monthly),
    "basic_motions": Source(lambda: load_basic_motions("all"), series_dim="case", variable_dim="channel"),
    "japanese_vowels": Source(lambda: load_japanese_vowels("all"), series_dim="case", variable_dim="channel"),
}


def load_source(source: str, simulator: Mapping[str, Any] | None = None) -> tuple[xr.Dataset, Source]:
    """The dataset of a named source (simulators run through the cache with ``simulator`` overriding their
    defaults) or of a netCDF file path, with its :class:`Source` description."""
    if source in SOURCES:
        spec = SOURCES[source]
        if spec.simulated:
            return simulate_cached(spec.load, **{**spec.defaults, **dict(simulator or {})}), spec
        if simulator:
            raise ValueError(f"source {source!r} is real data; it takes no simulator arguments, got {dict(simulator)}")
        return spec.load(), spec
    path = Path(source).expanduser()
    if path.suffix not in (".nc", ".nc4", ".netcdf") and not path.exists():
        raise ValueError(f"unknown source {source!r}; choose one of {sorted(SOURCES)} or give a netCDF file path")
    if not path.is_file():
        raise FileNotFoundError(f"no netCDF file at {path}")
    return xr.load_dataset(path), Source(xr.load_dataset)
