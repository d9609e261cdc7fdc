"""netCDF outputs (xarray): samples and posterior summaries with coordinates and provenance attributes.

Files are never overwritten: writing to an existing path raises, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import xarray as xr
from torch import Tensor

from sciddiff.train.adapter import Adapter

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def netcdf_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes netCDF can store: numbers and strings as they are, None as "none", anything else as text."""
    out = {}
    for k, v in attrs.items():
        out[k] = "none" if v is None else v if isinstance(v, int | float | str) else str(v)
    return out


def write_netcdf(data: xr.Dataset, path: Path) -> Path:
    """Write ``data`` to a new file at ``path``; an existing file is never replaced."""
    path = Path(path)
    if path.exists():
        raise ValueError(f"{path} already exists; sciddiff never overwrites outputs (choose another directory)")
    path.parent.mkdir(parents=True, exist_ok=True)
    data.to_netcdf(path)
    return path


def _select(raw: Any, i: int) -> Any:
    return raw[i] if isinstance(raw, Tensor) else {k: v[i] for k, v in raw.items()}


def posterior_dataset(
    adapter: Adapter,
    samples: Sequence[Any],
    attrs: Mapping[str, Any],
    truth: Any = None,
    quantiles: Sequence[float] = QUANTILES,
) -> xr.Dataset:
    """Posterior samples of several observations, decoded, with their mean, std and quantiles.

    ``samples[j]`` holds the decoded samples of observation j; ``truth`` (optional) the decoded truths, one per
    observation. Variables: ``<v>`` (obs, sample, ...), ``<v>_mean``, ``<v>_std``, ``<v>_quantile`` (quantile,
    obs, ...) and ``<v>_truth`` for every variable v of ``adapter.to_xarray``.
    """
    per_obs = [adapter.to_xarray(s, {}) for s in samples]
    ds = xr.concat(per_obs, dim="obs")
    out = ds.copy()
    for name in ds.data_vars:
        out[f"{name}_mean"] = ds[name].mean("sample")
        out[f"{name}_std"] = ds[name].std("sample", ddof=1)
        out[f"{name}_quantile"] = ds[name].quantile(list(quantiles), dim="sample")
    if truth is not None:
        truths = xr.concat([adapter.to_xarray(_unsqueeze(_select(truth, j)), {}) for j in range(len(samples))], "obs")
        for name in ds.data_vars:
            out[f"{name}_truth"] = truths[name].isel(sample=0, drop=True)
    out.attrs = netcdf_attrs(attrs)
    return out


def _unsqueeze(x: Any) -> Any:
    return x[None] if isinstance(x, Tensor) else {k: v[None] for k, v in x.items()}


def interval_coverage(samples: Tensor, truth: Tensor, level: float = 0.9) -> float:
    """Fraction of entries of ``truth`` inside the central ``level`` interval of ``samples`` (sample axis 0)."""
    lo, hi = torch.quantile(samples.double(), torch.tensor([(1 - level) / 2, (1 + level) / 2]).double(), dim=0)
    t = truth.double()
    return float(((t >= lo) & (t <= hi)).double().mean())


def standardized_error(samples: Tensor, truth: Tensor) -> Tensor:
    """(truth - posterior mean) / posterior std per entry."""
    s = samples.double()
    return (truth.double() - s.mean(0)) / s.std(0).clamp_min(1e-12)
