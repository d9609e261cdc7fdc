"""Task outputs: netCDF datasets with a ``sample`` dimension, quantile variables, the truth and the observations
on real time coordinates, and the probabilistic scores of the samples on the entries the model did not see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.layout import SeriesLayout
from sciddiff.domains.timeseries.metrics import (
    crps_ensemble,
    energy_score,
    interval_coverage,
    mae_median,
    quantile_crps,
    quantile_crps_sum,
    rmse_median,
    spread_skill_ratio,
)
from sciddiff.domains.timeseries.tasks import Problem

from sciddiff.train.outputs import QUANTILES, netcdf_attrs


def task_dataset(
    layout: SeriesLayout,
    samples: np.ndarray,
    problems: Sequence[Problem],
    attrs: Mapping[str, Any],
    quantiles: Sequence[float] = QUANTILES,
) -> xr.Dataset:
    """Samples (W, n, C, L) of W windows as variables ``<v>`` (window, sample, step, ...) with ``time`` (window,
    step), plus ``<v>_mean``, ``<v>_std``, ``<v>_quantile`` (quantile, window, step, ...), ``<v>_truth``,
    ``<v>_observed`` (1 where given to the model) and ``<v>_observation`` (the noisy values given)."""
    time = np.stack([p.time for p in problems])
    ds = layout.dataset(samples, ["window", "sample"], time)
    names = list(ds.data_vars)
    check_derived_names(ds, ("truth", "observed", "observation"))
    extra = {
        "truth": np.stack([p.truth.numpy() for p in problems]),
        "observed": np.stack([p.mask.numpy() for p in problems]).astype(np.int8),
        "observation": np.stack([p.y.numpy() for p in problems]),
    }
    out = summary_dataset(ds, quantiles)
    for suffix, values in extra.items():
        part = layout.dataset(values, ["window"], time)
        for name in names:
            out[f"{name}_{suffix}"] = part[name]
    out.attrs = netcdf_attrs({**layout.attrs, **dict(attrs)})
    return out


def check_derived_names(ds: xr.Dataset, suffixes: Sequence[str]) -> None:
    """Refuse variable names whose derived outputs ``<v>_<suffix>`` would overwrite another variable or a
    coordinate of ``ds`` (e.g. variables ``a`` and ``a_mean``)."""
    taken = set(map(str, ds.data_vars)) | set(map(str, ds.coords))
    clash = sorted(f"{v}_{s}" for v in map(str, ds.data_vars) for s in suffixes if f"{v}_{s}" in taken)
    if clash:
        raise ValueError(
            f"output names {clash} would overwrite variables or coordinates of the same name; rename the variables "
            f"so that none is another's name plus one of {['_' + s for s in suffixes]}"
        )


def summary_dataset(ds: xr.Dataset, quantiles: Sequence[float] = QUANTILES) -> xr.Dataset:
    """``ds`` with ``<v>_mean``, ``<v>_std`` and ``<v>_quantile`` over its ``sample`` dimension."""
    check_derived_names(ds, ("mean", "std", "quantile"))
    out = ds.copy()
    for name in list(ds.data_vars):
        out[f"{name}_mean"] = ds[name].mean("sample")
        out[f"{name}_std"] = ds[name].std("sample", ddof=1)
        out[f"{name}_quantile"] = ds[name].quantile(list(quantiles), dim="sample")
    return out


def task_scores(samples: np.ndarray, problems: Sequence[Problem]) -> dict[str, float]:
    """Scores of samples (W, n, C, L) on the target entries (not given, present in the data) of every window:
    CRPS, normalised quantile CRPS (and CRPS-sum over the variables of fully scored steps, for several variables),
    energy score (per window), median MAE/RMSE, spread-skill, 50%/90% coverage."""
    x = np.moveaxis(np.asarray(samples, dtype=np.float64), 1, 0)  # (n, W, C, L)
    truth = np.stack([p.truth.numpy() for p in problems])
    target = np.stack([p.target.numpy() for p in problems])
    if not target.any():
        return {}
    coverage = interval_coverage(x, truth, target)
    scores = {
        "crps": crps_ensemble(x, truth, target),
        "energy_score": energy_score(x, truth, target, event_ndim=2),
        "mae_median": mae_median(x, truth, target),
        "rmse_median": rmse_median(x, truth, target),
        "coverage_50": coverage[0.5],
        "coverage_90": coverage[0.9],
        "n_scored": int(target.sum()),
    }
    if np.abs(np.where(target, truth, 0.0)).sum() > 0:
        scores["quantile_crps"] = quantile_crps(x, truth, target)
    complete = target.all(axis=1)  # time steps with every variable scored
    if x.shape[2] > 1 and complete.any() and np.abs(np.where(target, truth, 0.0).sum(axis=1)[complete]).sum() > 0:
        scores["quantile_crps_sum"] = quantile_crps_sum(x, truth, target, variable_axis=1)
    if x.shape[0] > 1:
        scores["spread_skill"] = spread_skill_ratio(x, truth, target)
    return scores
