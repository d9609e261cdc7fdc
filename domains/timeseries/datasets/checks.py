"""Input checks that keep missing data (NaN, allowed) apart from corrupt input (inf, all-NaN, no time axis)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import xarray as xr


def _series(data: xr.DataArray | xr.Dataset, variable_dim: str | None) -> Iterator[tuple[str, xr.DataArray]]:
    """(name, array) for each variable: each data variable of a Dataset, or each index along ``variable_dim``."""
    arrays = data.data_vars.items() if isinstance(data, xr.Dataset) else [(str(data.name or "data"), data)]
    for name, array in arrays:
        if variable_dim is not None and variable_dim in array.dims:
            for label in array[variable_dim].values:
                yield f"{name}[{variable_dim}={label}]", array.sel({variable_dim: label})
        else:
            yield str(name), array


def check_series(data: xr.DataArray | xr.Dataset, time_dim: str = "time", variable_dim: str | None = None) -> None:
    """Raise ``ValueError`` for a missing time dimension, non-numeric or infinite values, or an all-NaN variable.

    NaN marks a missing observation and is allowed; a variable (a data variable, or one index along
    ``variable_dim``) with no finite value at all cannot be modelled and is rejected, naming it.
    """
    if not isinstance(data, xr.DataArray | xr.Dataset):
        raise ValueError(f"expected an xarray DataArray or Dataset, got {type(data).__name__}")
    if time_dim not in data.dims:
        raise ValueError(f"data has dims {tuple(data.dims)}; expected a {time_dim!r} dimension")
    for name, array in _series(data, variable_dim):
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"variable {name!r} has dtype {array.dtype}; expected numbers")
        values = np.asarray(array.values, dtype=np.float64)
        infinite = np.isinf(values)
        if infinite.any():
            where = np.argwhere(infinite)[0]
            position = {
                d: array[d].values[i] if d in array.coords else i for d, i in zip(array.dims, where, strict=True)
            }
            raise ValueError(
                f"variable {name!r} holds {int(infinite.sum())} infinite value(s), the first "
                f"{values[tuple(where)]} at {position}; inf is corrupt input (use NaN for missing values)"
            )
        if values.size and np.isnan(values).all():
            raise ValueError(f"variable {name!r} is entirely NaN over its {values.size} entries; it has no data")
