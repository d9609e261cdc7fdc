"""Run a simulator through the netCDF cache, keyed by its name and every argument (defaults and seed included)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

import xarray as xr

from sciddiff.train.cache import cached


def simulate_cached(
    simulator: Callable[..., xr.Dataset], directory: str | os.PathLike[str] | None = None, **kwargs: Any
) -> xr.Dataset:
    """``simulator(**kwargs)``, read from the cache when already computed with the same arguments, else written."""
    try:
        bound = inspect.signature(simulator).bind(**kwargs)
    except TypeError as err:
        raise ValueError(f"bad arguments for {simulator.__name__}: {err}") from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    return cached(simulator.__name__, arguments, lambda: simulator(**arguments), directory)
