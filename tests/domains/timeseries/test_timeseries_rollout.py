"""Long rollouts by chained windows: with an exact conditional oracle of an AR(1) series (a Markov process), the
chained series has exactly the process's law across window boundaries, and the overlaps are reproduced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries import app as ts_app
from sciddiff.domains.timeseries.rollout import chain, model_step, window_times
from ts_oracles import AR_PARAMS, RECORD, ConditionalOracle, ar1_series, state_prior, task_config

from sciddiff.analytic import Gaussian
from sciddiff.processes import VP
from sciddiff.train import TrainedModel

WINDOW, OVERLAP = 8, 2


def oracle_model(conditional: bool) -> TrainedModel:
    adapter = TimeSeriesAdapter(data=ar1_series(3000), window=WINDOW, conditional=conditional)
    adapter.datasets(seed=0)
    mean, cov = state_prior(adapter, WINDOW)
    process = VP()
    if conditional:
        den = ConditionalOracle(process, mean, cov, 2, np.zeros(2))
    else:
        den = Gaussian(torch.as_tensor(mean), torch.as_tensor(cov), (2, WINDOW)).denoiser(process)
    return TrainedModel(adapter, process, den, RECORD, Path("exact"), True)


def test_chained_rollout_has_the_law_of_the_process_across_window_boundaries(tmp_path: Path) -> None:
    cfg = task_config("task=rollout", "rollout.steps=62", "rollout.overlap=2", "rollout.members=400",
                      "solver.steps=30", "dtype=float64")  # fmt: skip
    out = ts_app.run(cfg, tmp_path, model=oracle_model(conditional=True))
    series = out["rollout"].series.numpy()  # (400, 2, 62); windows append steps 2..7, 8..13, ...
    assert out["rollout"].overlap_error.numel() == 10 and float(out["rollout"].overlap_error.max()) < 0.05
    for c, (mean, std, phi) in enumerate(AR_PARAMS.values()):
        x = series[:, c, 20:]  # far from the common start: the stationary law
        assert abs(x.mean() - mean) < 0.1 * std and abs(x.std() / std - 1) < 0.08
        for lag in (1, 2, 3):
            pairs = [np.corrcoef(series[:, c, t], series[:, c, t + lag])[0, 1] for t in range(20, 62 - lag)]
            assert abs(np.mean(pairs) - phi**lag) < 0.05  # every pair, boundary-crossing ones included
        boundary = np.corrcoef(series[:, c, 25], series[:, c, 26])[0, 1]  # steps 25 | 26: two windows
        assert abs(boundary - phi) < 0.12
    ds = xr.open_dataset(tmp_path / "rollout.nc")
    assert ds["level"].dims == ("sample", "time", "variable") and ds.sizes["time"] == 62
    np.testing.assert_allclose(ds["level_mean"].values, ds["level"].values.mean(0), rtol=1e-6)
    median = ds["level_quantile"].sel(quantile=0.5).values
    np.testing.assert_allclose(median, np.median(ds["level"].values, axis=0), rtol=1e-6)
    start = out["rollout"].series[0, :, :OVERLAP]
    model = oracle_model(conditional=True)
    model.adapter.datasets(0)
    torch.testing.assert_close(start, model.adapter.splits["test"].raw(0)[:, :OVERLAP])  # starts from held-out data
    np.testing.assert_allclose(ds["time"].values[:3], model.adapter.splits["test"].times(0)[:3])


def test_guided_rollout_reproduces_its_overlaps(tmp_path: Path) -> None:
    cfg = task_config("task=rollout", "rollout.steps=20", "rollout.overlap=2", "rollout.members=2",
                      "rollout.noise_std=0.001", "guidance.steps=20", "dtype=float64",
                      "+guidance.options.cg_iterations=4")  # fmt: skip
    out = ts_app.run(cfg, tmp_path, model=oracle_model(conditional=False))
    assert out["rollout"].overlap_error.numel() == 3 and float(out["rollout"].overlap_error.max()) < 0.01
    assert out["summary"]["finite"] and out["rollout"].series.shape == (2, 2, 20)


def test_chain_logic_and_errors() -> None:
    def step(prefix: torch.Tensor, k: int) -> torch.Tensor:  # continue with k, k, ... after the overlap
        return torch.cat([prefix, torch.full((*prefix.shape[:-1], 3), float(k))], -1)

    out = chain(step, torch.zeros(1, 1, 2), 9, window=5, overlap=2)
    assert out.series[0, 0].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 2] and out.overlap_error.tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="the overlap must be between 1 and window - 1 = 4, got 5"):
        chain(step, torch.zeros(1, 1, 5), 9, window=5, overlap=5)
    with pytest.raises(ValueError, match="the start has 1 steps; the overlap needs at least 2"):
        chain(step, torch.zeros(1, 1, 1), 9, window=5, overlap=2)


def test_chained_windows_get_the_times_of_the_steps_they_cover() -> None:
    times = window_times(lambda i: 100.0 + 0.5 * i, t0=5, window=8, overlap=2)
    np.testing.assert_array_equal(times(0), 100.0 + 0.5 * np.arange(3, 11))  # the last 2 start steps, then 6 new
    np.testing.assert_array_equal(times(2), 100.0 + 0.5 * np.arange(15, 23))  # two windows later: 12 steps on
    step = lambda prefix, k: torch.cat([prefix, torch.full((*prefix.shape[:-1], 6), float(k))], -1)  # noqa: E731
    out = chain(step, torch.zeros(1, 1, 5), 23, 8, 2)
    assert out.series[0, 0, 15:17].tolist() == [1.0, 1.0] and out.series[0, 0, 17].item() == 2.0  # window 2: 17+


def test_models_with_calendar_or_static_conditions_need_them_in_a_rollout() -> None:
    cfg = task_config("task=rollout")
    model = oracle_model(conditional=True)
    model.adapter.options["calendar"] = ["dayofyear"]
    with pytest.raises(ValueError, match=r"uses calendar features \['dayofyear'\]; the rollout needs the times"):
        model_step(model, 2, cfg, 0)
    model.adapter.options.update(calendar=[], static=["site"])
    with pytest.raises(ValueError, match=r"uses static covariates \['site'\]; give the series' conditions"):
        model_step(model, 2, cfg, 0)
