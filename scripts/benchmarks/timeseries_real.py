"""Real-data benchmarks: Mauna Loa CO2 imputation at 10/50/90% missing on held-out years, and monthly sunspot
forecasting, each against the statsmodels state-space Kalman baseline fitted on the training years."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.baselines import (
    climatology,
    linear_interpolation,
    persistence,
    seasonal_naive,
    state_space_forecast,
    state_space_model,
    state_space_smooth,
)
from sciddiff.domains.timeseries.items import Windows
from sciddiff.domains.timeseries.masks import forecast_mask
from sciddiff.domains.timeseries.operators import task_mask
from sciddiff.domains.timeseries.tasks import make_problem

from sciddiff.state import derive_seed
from scripts.benchmarks.timeseries_common import conditional, guided, model, scores, stack_runs, timed

CO2_MODEL = {"level": "local linear trend", "freq_seasonal": [{"period": 365.25 / 7, "harmonics": 3}]}
CO2_HISTORY = 520  # weeks of history before a window given to the Kalman smoother
SUNSPOT_MODEL = {"order": (3, 0, 1), "trend": "c"}
SUNSPOT_HISTORY = 600  # months of history before a forecast origin given to the Kalman forecaster
SEASON = 132  # months: the 11-year cycle, for the seasonal naive forecast


def _train_series(m: Any) -> np.ndarray:
    wins = m.adapter.splits["train"]
    return wins.values[0, : int(wins.start.max()) + wins.window, 0]


def co2_imputation(rates: tuple[float, ...] = (0.1, 0.5, 0.9), n_samples: int = 100, seed: int = 0) -> dict[str, Any]:
    """Random gaps in the non-overlapping 64-week blocks of the test years. Every method sees the observed weeks
    before a block: the diffusion models the 64 weeks before it (the first half of their 128-week window, the
    ``history`` of the impute mask), the Kalman smoother the ten years before it. Only the block is scored."""
    cond, cond_train = model("co2_conditional")
    prior, prior_train = model("co2_prior")
    adapter = cond.adapter
    test = adapter.splits["test"]
    span, block = test.window, test.window // 2
    lo, hi = int(test.start.min()), int(test.start.max()) + span
    starts = np.arange(lo, hi - block + 1, block) - (span - block)
    wins = Windows(test.values, test.time, np.zeros(len(starts), dtype=int), starts, span)
    values = wins.values[0, :, 0]
    theta = state_space_model(_train_series(cond), "unobserved_components", **CO2_MODEL).fit(disp=False).params
    results: dict[str, Any] = {}
    for rate in rates:
        runs: dict[str, list[np.ndarray]] = {k: [] for k in ("conditional", "guided", "kalman smoother", "linear")}
        seconds = dict.fromkeys(runs, 0.0)
        truths, hidden = [], []
        for j in range(len(wins)):
            truth = wins.raw(j)
            opts = {"missing": rate, "history": span - block, "seed": derive_seed(seed, 100 * j + int(100 * rate))}
            mask = task_mask("impute", opts, (1, span))
            t = wins.times(j)
            problem = make_problem(truth, mask, torch.zeros(1), 0, t, adapter.covariates(t[None])[0])
            problem.noise_std = torch.full((1,), 0.05, dtype=torch.float64)  # the guided likelihood's width (ppm)
            truths.append(truth[:, -block:].numpy())
            hidden.append(problem.target[:, -block:].numpy())
            origin = int(starts[j]) + span - block
            series = np.concatenate([values[origin - CO2_HISTORY : origin], problem.y[0, -block:].numpy()])

            def kalman(series: np.ndarray = series, j: int = j) -> np.ndarray:
                out = state_space_smooth(
                    series, n_samples, seed + j, kind="unobserved_components", params=theta, **CO2_MODEL
                )
                return out.samples[:, None, CO2_HISTORY:]

            draws = {
                "conditional": lambda p=problem, j=j: conditional(cond, p, n_samples, derive_seed(seed + 1, j)),
                "guided": lambda p=problem, j=j: guided(prior, p, n_samples, derive_seed(seed + 2, j)),
                "kalman smoother": kalman,
                "linear": lambda p=problem, t=t: linear_interpolation(p.y[0].numpy(), t).samples[:, None],
            }
            for name, fn in draws.items():
                out, sec = timed(fn)
                runs[name].append(out[..., -block:])
                seconds[name] += sec
        truth, target = np.stack(truths), np.stack(hidden)
        results[f"{rate:.1f}"] = {
            name: {**scores(stack_runs(r), truth, target), "seconds": seconds[name]} for name, r in runs.items()
        }
    training = {"conditional": cond_train, "guided": prior_train}
    return {"rows": results, "training": training, "windows": len(wins), "block": block, "history": span - block}


def sunspots_forecast(context: int = 48, n_samples: int = 100, stride: int = 16, seed: int = 0) -> dict[str, Any]:
    """Forecast the 16 months after 48 months of context, for windows every ``stride`` months of the test years.
    The Kalman, persistence and seasonal-naive forecasters get the whole past before the origin."""
    cond, cond_train = model("sunspots_conditional")
    prior, prior_train = model("sunspots_prior")
    wins = cond.adapter.splits["test"]
    horizon = wins.window - context
    idx = list(range(0, len(wins), stride))
    values = wins.values[0, :, 0]
    train = _train_series(cond)
    theta = state_space_model(train, "sarimax", **SUNSPOT_MODEL).fit(disp=False).params
    mask = forecast_mask((1, wins.window), context)
    names = ("conditional", "guided", "kalman (sarimax)", "climatology", "persistence", "seasonal naive")
    runs: dict[str, list[np.ndarray]] = {k: [] for k in names}
    seconds = dict.fromkeys(runs, 0.0)
    truths = []
    for j, w in enumerate(idx):
        truth = wins.raw(int(w))
        problem = make_problem(truth, mask, torch.zeros(1), 0, wins.times(int(w)))
        problem.noise_std = torch.full((1,), 1.0, dtype=torch.float64)
        truths.append(truth[:, context:].numpy())
        origin = int(wins.start[w]) + context
        past = values[:origin]
        draws = {
            "conditional": lambda p=problem, j=j: conditional(cond, p, n_samples, derive_seed(seed + 1, j))[
                ..., context:
            ],
            "guided": lambda p=problem, j=j: guided(prior, p, n_samples, derive_seed(seed + 2, j))[..., context:],
            "kalman (sarimax)": lambda past=past, j=j: state_space_forecast(
                past[-SUNSPOT_HISTORY:], horizon, n_samples, seed + j, params=theta, **SUNSPOT_MODEL
            ).samples[:, None],
            "climatology": lambda j=j: climatology(train, horizon, n_samples, seed + j).samples[:, None],
            "persistence": lambda past=past, j=j: persistence(past, horizon, n_samples, seed + j).samples[:, None],
            "seasonal naive": lambda past=past, j=j: seasonal_naive(past, horizon, SEASON, n_samples, seed + j).samples[
                :, None
            ],
        }
        for name, fn in draws.items():
            out, sec = timed(fn)
            runs[name].append(out)
            seconds[name] += sec
    truth = np.stack(truths)
    rows = {name: {**scores(stack_runs(r), truth), "seconds": seconds[name]} for name, r in runs.items()}
    return {"rows": rows, "training": {"conditional": cond_train, "guided": prior_train}, "windows": len(idx)}
