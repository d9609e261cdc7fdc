"""Both ways of solving a task, checked end to end through the task app against the closed-form posterior of an
AR(1) series (a Gaussian window law): (b) an unconditional exact prior steered by the masking operator (MMPS),
and (a) an exact conditional denoiser that reads the CSDI context the adapter builds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries import app as ts_app
from sciddiff.domains.timeseries.metrics import crps_ensemble, quantile_crps_sum
from ts_oracles import (
    AR_PARAMS,
    RECORD,
    ConditionalOracle,
    ar1_prior,
    ar1_series,
    gaussian_posterior,
    state_prior,
    task_config,
)

from sciddiff.analytic import Gaussian
from sciddiff.processes import VP
from sciddiff.train import TrainedModel

WINDOW, NOISE = 16, 0.2


def exact_model(conditional: bool) -> TrainedModel:
    adapter = TimeSeriesAdapter(data=ar1_series(3000), window=WINDOW, conditional=conditional)
    adapter.datasets(seed=0)
    process = VP()
    mean, cov = state_prior(adapter, WINDOW)
    if conditional:
        noise = NOISE / adapter.norm.scale.numpy()
        denoiser = ConditionalOracle(process, mean, cov, adapter.channels, noise)
    else:
        denoiser = Gaussian(torch.as_tensor(mean), torch.as_tensor(cov), (adapter.channels, WINDOW)).denoiser(process)
    return TrainedModel(adapter, process, denoiser, RECORD, Path("exact"), True)


def check_against_closed_form(path: Path, n: int) -> None:
    """Every window's sample mean and std against the exact posterior given its noisy observed entries."""
    ds = xr.open_dataset(path)
    prior_mean, prior_cov = ar1_prior(WINDOW)
    for j in range(ds.sizes["window"]):
        observed = ds["level_observed"].isel(window=j).values.T.reshape(-1).astype(bool)  # (C, L) channel-major
        y = ds["level_observation"].isel(window=j).values.T.reshape(-1)[observed]
        index = np.flatnonzero(observed)
        mean, cov = gaussian_posterior(prior_mean, prior_cov, index, y, np.full(index.size, NOISE))
        std = np.sqrt(np.diag(cov))
        got_mean = ds["level_mean"].isel(window=j).values.T.reshape(-1)
        got_std = ds["level_std"].isel(window=j).values.T.reshape(-1)
        assert np.abs(got_mean - mean).max() < 4 * std.max() / math.sqrt(n) + 0.01
        np.testing.assert_allclose(got_std, std, rtol=0.08)


@pytest.mark.parametrize("task", ["impute", "block"])
def test_guided_imputation_is_the_exact_posterior(task: str, tmp_path: Path) -> None:
    cfg = task_config(
        f"task={task}", "windows=2", "n_samples=1500", f"noise_std={NOISE}", "guidance.steps=30",
        "+guidance.options.cg_iterations=20", "dtype=float64", "mask.missing=0.6", "mask.length=6", "figures=1",
    )  # fmt: skip
    out = ts_app.run(cfg, tmp_path, model=exact_model(conditional=False))
    check_against_closed_form(tmp_path / f"{task}.nc", 1500)
    ds = xr.open_dataset(tmp_path / f"{task}.nc")
    assert ds["level"].dims == ("window", "sample", "step", "variable") and ds.sizes["sample"] == 1500
    assert ds["level_quantile"].dims == ("quantile", "window", "step", "variable")
    assert list(ds["variable"].values) == list(AR_PARAMS) and ds["level"].attrs["units"] == "m"
    wins = out["problems"]
    np.testing.assert_array_equal(ds["time"].values[1], wins[1].time)  # real times of the held-out window
    assert ds.attrs["way"] == "guided (mmps)" and ds.attrs["task"] == task
    observed = ds["level_observed"].values.astype(bool)
    if task == "block":
        assert not observed[:, 5:11].any() and observed[:, :5].all()
    target = ~observed & np.isfinite(ds["level_truth"].values)
    samples = ds["level"].transpose("sample", ...).values
    crps = crps_ensemble(samples, ds["level_truth"].values, target)
    assert out["summary"]["scores"]["crps"] == pytest.approx(crps, rel=1e-12)
    crps_sum = quantile_crps_sum(samples, ds["level_truth"].values, target, variable_axis=-1)
    assert task != "block" or "quantile_crps_sum" in out["summary"]["scores"]  # whole steps hidden: CRPS-sum defined
    assert out["summary"]["scores"].get("quantile_crps_sum", crps_sum) == pytest.approx(crps_sum, rel=1e-12)
    assert {p.name for p in tmp_path.iterdir()} == {"fan-0.png", f"{task}.nc", "summary.json"}


def test_conditional_forecast_is_the_exact_posterior_given_the_context(tmp_path: Path) -> None:
    model = exact_model(conditional=True)
    cfg = task_config("task=forecast", "mask.context=10", "windows=2", "n_samples=2000", f"noise_std={NOISE}",
                      "solver=dpmpp_2m", "solver.steps=40", "figures=0")  # fmt: skip
    out = ts_app.run(cfg, tmp_path, model=model)
    check_against_closed_form(tmp_path / "forecast.nc", 2000)
    # the network saw exactly [(y - m) / s at observed entries, 0 elsewhere; the mask]
    adapter, problem, context = model.adapter, out["problems"][0], model.denoiser.calls[0]
    expected = torch.where(problem.mask, adapter.norm.encode(problem.y), 0.0)
    torch.testing.assert_close(context[0, :2].double(), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(context[0, 2:4], problem.mask.float(), rtol=0, atol=0)
    assert out["summary"]["way"] == "conditional"


def test_forecast_from_a_users_file_extends_the_time_axis(tmp_path: Path) -> None:
    model = exact_model(conditional=False)
    series = ar1_series(3000).isel(time=slice(2000, 2012))
    series[3, 1] = np.nan  # a gap in the history: not observed, never an error
    path = tmp_path / "history.nc"
    series.to_netcdf(path)
    cfg = task_config("task=forecast", "mask.context=12", "n_samples=500", f"noise_std={NOISE}",
                      f"observation.file={path}", "guidance.steps=20", "dtype=float64", "figures=0",
                      "+guidance.options.cg_iterations=25")  # fmt: skip
    ts_app.run(cfg, tmp_path / "out", model=model)
    ds = xr.open_dataset(tmp_path / "out" / "forecast.nc")
    np.testing.assert_allclose(ds["time"].values[0], 1000.0 + 0.5 * np.arange(WINDOW))
    assert int(ds["level_observed"].sum()) == 2 * 12 - 1
    prior_mean, prior_cov = ar1_prior(WINDOW)
    observed = ds["level_observed"].isel(window=0).values.T.reshape(-1).astype(bool)
    y = ds["level_observation"].isel(window=0).values.T.reshape(-1)[observed]
    mean, cov = gaussian_posterior(prior_mean, prior_cov, np.flatnonzero(observed), y, np.full(23, NOISE))
    got = ds["level_mean"].isel(window=0).values.T.reshape(-1)
    assert np.abs(got - mean).max() < 4 * np.sqrt(np.diag(cov)).max() / math.sqrt(500) + 0.02
    with pytest.raises(ValueError, match="context of 20 steps is longer than the 12 available time steps"):
        ts_app.run(task_config("task=forecast", "mask.context=20", f"observation.file={path}"), tmp_path / "e", model)
    long_path = tmp_path / "long.nc"
    ar1_series(3000).isel(time=slice(0, 3 * WINDOW)).to_netcdf(long_path)
    with pytest.raises(ValueError, match=rf"mask.context must be in \[1, {WINDOW - 1}\] for the model's {WINDOW}-step"):
        ts_app.run(task_config("task=forecast", f"mask.context={WINDOW}", f"observation.file={long_path}"),
                   tmp_path / "e1", model)  # fmt: skip
    other = series.assign_coords(variable=["a", "c"])
    other.to_netcdf(tmp_path / "other.nc")
    with pytest.raises(ValueError, match=r"has variables \['a', 'c'\]; the model was trained on \['a', 'b'\]"):
        ts_app.run(task_config("task=forecast", "mask.context=8", f"observation.file={tmp_path / 'other.nc'}"),
                   tmp_path / "e2", model)  # fmt: skip


@pytest.mark.parametrize("conditional", [False, True])
def test_generation_draws_windows_with_the_exact_prior_law(conditional: bool, tmp_path: Path) -> None:
    """task=generate (nothing observed): both ways sample the AR(1) window law itself, mean and covariance."""
    n = 3000
    cfg = task_config("task=generate", "windows=1", f"n_samples={n}", "solver.steps=40", "dtype=float64", "figures=0")
    out = ts_app.run(cfg, tmp_path, model=exact_model(conditional))
    x = out["samples"][0].reshape(n, -1)  # (n, C L), channel-major like the prior
    mean, cov = ar1_prior(WINDOW)
    std = np.sqrt(np.diag(cov))
    assert np.abs(x.mean(0) - mean).max() < 5 * std.max() / math.sqrt(n)
    assert np.abs(x.std(0) / std - 1).max() < 0.08
    corr = np.corrcoef(x[:, 0], x[:, 1])[0, 1]  # neighbouring steps of the first variable
    assert abs(corr - cov[0, 1] / cov[0, 0]) < 0.05
    assert int(out["problems"][0].mask.sum()) == 0
