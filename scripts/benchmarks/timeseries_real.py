"""Real-data benchmarks: Mauna Loa CO2 imputation at 10/50/90% missing on held-out years, and monthly sunspot
forecasting, each against the statsmodels state-space Kalman baseline fitted on the training years."""

from __future__ import annotations

from dataclasses import replace
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
from scripts.benchmarks.timeseries_common import (
    conditional,
    fan_figure,
    guided,
    guided_with,
    model,
    scores,
    stack_runs,
    timed,
)

CO2_MODEL = {"level": "local linear trend", "freq_seasonal": [{"period": 365.25 / 7, "harmonics": 3}]}
CO2_HISTORY = 520  # weeks of history before a window given to the Kalman smoother
SUNSPOT_MODEL = {"order": (3, 0, 1), "trend": "c"}
SUNSPOT_HISTORY = 600  # months of history before a forecast origin given to the Kalman forecaster
SEASON = 132  # months: the 11-year cycle, for the seasonal naive forecast


def _train_series(m: Any) -> np.ndarray:
    wins = m.adapter.splits["train"]
    return wins.values[0, : int(wins.start.max()) + wins.window, 0]


# Guided-imputation settings tried on the validation blocks: the method (MMPS with its CG iterations, PiGDM, or
# twisted SMC with its particles), its steps, its integrator (the default deterministic solver, or
# predictor-corrector Langevin steps) and the likelihood's width (ppm; the data's own measurement noise is not
# given, so it is a tuning knob); the first is the earlier fixed setting.
CO2_GUIDANCE_GRID = (
    {"method": "mmps", "steps": 20, "cg_iterations": 2, "noise": 0.05},
    {"method": "mmps", "steps": 20, "cg_iterations": 2, "noise": 0.15},
    {"method": "mmps", "steps": 20, "cg_iterations": 2, "noise": 0.3},
    {"method": "mmps", "steps": 50, "cg_iterations": 4, "noise": 0.15},
    {"method": "pigdm", "steps": 20, "noise": 0.05},
    {"method": "pigdm", "steps": 20, "noise": 0.15},
    {"method": "pigdm", "steps": 20, "noise": 0.3},
    {"method": "mmps", "steps": 20, "cg_iterations": 2, "noise": 0.15, "solver": "pc"},
    {"method": "pigdm", "steps": 20, "noise": 0.05, "solver": "pc"},
    {"method": "smc", "steps": 50, "n_particles": 200, "noise": 0.05},
    {"method": "smc", "steps": 50, "n_particles": 200, "noise": 0.15},
)


def _blocks(split: Windows) -> tuple[Windows, np.ndarray, int]:
    """Windows ending in the non-overlapping half-window blocks of a split (their first half the history), the
    blocks' window starts, and the block length."""
    span, block = split.window, split.window // 2
    lo, hi = int(split.start.min()), int(split.start.max()) + span
    starts = np.arange(lo, hi - block + 1, block) - (span - block)
    return Windows(split.values, split.time, np.zeros(len(starts), dtype=int), starts, span), starts, block


def _problem(adapter: Any, wins: Windows, j: int, rate: float, block: int, seed: int, noise: float) -> Any:
    """Block j with a fraction ``rate`` of its observed weeks hidden, the weeks before it observed."""
    span = wins.window
    opts = {"missing": rate, "history": span - block, "seed": derive_seed(seed, 100 * j + int(100 * rate))}
    t = wins.times(j)
    problem = make_problem(
        wins.raw(j), task_mask("impute", opts, (1, span)), torch.zeros(1), 0, t, adapter.covariates(t[None])[0]
    )
    problem.noise_std = torch.full((1,), noise, dtype=torch.float64)  # the guided likelihood's width (ppm)
    return problem


def tune_co2_guidance(prior: Any, rates: tuple[float, ...], n_samples: int, seed: int) -> dict[str, Any]:
    """The setting of ``CO2_GUIDANCE_GRID`` with the lowest CRPS averaged over the rates, on the blocks of the
    validation years (never the test years)."""
    wins, _, block = _blocks(prior.adapter.splits["val"])
    scored = []
    for setting in CO2_GUIDANCE_GRID:
        crps = []
        for rate in rates:
            runs, truths, hidden = [], [], []
            for j in range(len(wins)):
                problem = _problem(prior.adapter, wins, j, rate, block, seed + 7, setting["noise"])
                runs.append(guided_with(prior, problem, n_samples, derive_seed(seed + 3, j), setting)[..., -block:])
                truths.append(wins.raw(j)[:, -block:].numpy())
                hidden.append(problem.target[:, -block:].numpy())
            crps.append(scores(stack_runs(runs), np.stack(truths), np.stack(hidden))["crps"])
        scored.append({**setting, "crps": crps, "mean_crps": float(np.mean(crps))})
    best = min(scored, key=lambda r: r["mean_crps"])
    return {
        "best": {k: v for k, v in best.items() if k not in ("crps", "mean_crps")},
        "grid": scored,
        "windows": len(wins),
    }


def co2_imputation(rates: tuple[float, ...] = (0.1, 0.5, 0.9), n_samples: int = 100, seed: int = 0) -> dict[str, Any]:
    """Random gaps in the non-overlapping 64-week blocks of the test years. Every method sees the observed weeks
    before a block: the diffusion models the 64 weeks before it (the first half of their 128-week window, the
    ``history`` of the impute mask), the Kalman smoother the ten years before it. Only the block is scored. The
    guided prior's method and setting are chosen on the validation years first (:func:`tune_co2_guidance`, 50 samples)."""
    cond, cond_train = model("co2_conditional")
    prior, prior_train = model("co2_prior")
    tuning = tune_co2_guidance(prior, rates, 50, seed)
    setting = tuning["best"]
    adapter = cond.adapter
    wins, starts, block = _blocks(adapter.splits["test"])
    span = wins.window
    values = wins.values[0, :, 0]
    theta = state_space_model(_train_series(cond), "unobserved_components", **CO2_MODEL).fit(disp=False).params
    results: dict[str, Any] = {}
    figures: dict[str, str] = {}
    for rate in rates:
        runs: dict[str, list[np.ndarray]] = {k: [] for k in ("conditional", "guided", "kalman smoother", "linear")}
        seconds = dict.fromkeys(runs, 0.0)
        truths, hidden = [], []
        for j in range(len(wins)):
            problem = _problem(adapter, wins, j, rate, block, seed, 0.05)
            guided_problem = replace(problem, noise_std=torch.full((1,), setting["noise"], dtype=torch.float64))
            t = wins.times(j)
            truths.append(wins.raw(j)[:, -block:].numpy())
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
                "guided": lambda p=guided_problem, j=j: guided_with(
                    prior, p, n_samples, derive_seed(seed + 2, j), setting
                ),
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
        title = f"CO2 (ppm), {100 * rate:.0f}% of the first test block missing"
        figures[f"{rate:.1f}"] = fan_figure(runs, f"co2_{rate:.1f}_fan", 0, truth[0, 0], ~target[0, 0], "ppm", title)
    training = {"conditional": cond_train, "guided": prior_train}
    return {
        "rows": results,
        "training": training,
        "windows": len(wins),
        "block": block,
        "history": span - block,
        "guidance": tuning,
        "figures": figures,
    }


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
    title = f"sunspots, {horizon} months after the first test window's {context}-month context"
    figure = fan_figure(runs, "sunspots_fan", 0, truth[0, 0], ylabel="monthly mean", title=title)
    training = {"conditional": cond_train, "guided": prior_train}
    return {"rows": rows, "training": training, "windows": len(idx), "figure": figure}
