"""Shared pieces of the time-series benchmark parts: sampling settings, model loading, scoring of ensembles."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.figures import plot_method_fans
from sciddiff.domains.timeseries.metrics import crps_ensemble, interval_coverage, spread_skill_ratio
from sciddiff.domains.timeseries.tasks import Problem, conditional_sample, guided_sample, make_problem

from sciddiff.state import derive_seed
from sciddiff.train import TrainedModel, load_trained
from scripts.benchmarks.timeseries_models import WORK, train, training_record

SOLVER, STEPS = "dpmpp_2m", 20
GUIDANCE = {"method": "mmps", "steps": 20, "options": {"cg_iterations": 2}}
SAMPLING = {"solver": {"name": SOLVER, "steps": STEPS}, "guidance": GUIDANCE, "guided_solver": SOLVER}


def model(name: str) -> tuple[TrainedModel, dict[str, float]]:
    """A benchmark model (trained now if needed) with its EMA weights, and its training record."""
    trained = load_trained(train(name))
    trained.adapter.datasets(int(trained.record["seed"]))
    return trained, training_record(name)


def conditional(m: TrainedModel, problem: Problem, n: int, seed: int) -> np.ndarray:
    return conditional_sample(m, problem, n, SOLVER, STEPS, seed).numpy()


def guided(m: TrainedModel, problem: Problem, n: int, seed: int) -> np.ndarray:
    g = GUIDANCE
    return guided_sample(m, problem, n, g["method"], g["steps"], seed, solver=SOLVER, **g["options"]).numpy()


def guided_with(m: TrainedModel, problem: Problem, n: int, seed: int, setting: dict[str, Any]) -> np.ndarray:
    """Guided draws with a tuned ``setting``: {method, steps, and optionally cg_iterations (MMPS), n_particles
    (SMC), solver (the integrator of the denoiser-transform methods, default ``SOLVER``; SMC runs its own loop)}."""
    opts = {k: int(setting[k]) for k in ("cg_iterations", "n_particles") if k in setting}
    method, steps = str(setting["method"]), int(setting["steps"])
    return guided_sample(m, problem, n, method, steps, seed, solver=str(setting.get("solver", SOLVER)), **opts).numpy()


def tune_guidance(
    prior: TrainedModel,
    grid: Sequence[dict[str, Any]],
    mask: torch.Tensor,
    noise: torch.Tensor,
    error: Callable[[np.ndarray, torch.Tensor], float],
    n_windows: int,
    n_samples: int,
    seed: int,
) -> dict[str, Any]:
    """The setting of ``grid`` (see :func:`guided_with`) with the lowest ``error(draws, truth)`` averaged over
    ``n_windows`` windows of the validation split (never the test split). Each tried setting is returned with its
    ``val_score`` and seconds."""
    wins = prior.adapter.splits["val"]
    idx = np.unique(np.linspace(0, len(wins) - 1, n_windows).round().astype(int))
    scored = []
    for setting in grid:
        errs, start = [], time.perf_counter()
        for j, w in enumerate(idx):
            truth = wins.raw(int(w))
            problem = make_problem(truth, mask, noise, derive_seed(seed + 5, j), wins.times(int(w)))
            errs.append(error(guided_with(prior, problem, n_samples, derive_seed(seed + 6, j), setting), truth))
        scored.append({**setting, "val_score": float(np.mean(errs)), "seconds": time.perf_counter() - start})
    best = min(scored, key=lambda r: r["val_score"])
    keep = {k: v for k, v in best.items() if k not in ("val_score", "seconds")}
    return {"tried": scored, "best": keep, "windows": len(idx), "samples": n_samples}


def setting_label(g: dict[str, Any]) -> str:
    """A guidance setting as the tables print it, e.g. ``MMPS x64, 2 CG, pc`` or ``SMC x64, 256 particles``."""
    parts = [f"{g['method'].upper()} x{g['steps']}"]
    parts += [f"{g['cg_iterations']} CG"] if "cg_iterations" in g else []
    parts += [f"{g['n_particles']} particles"] if "n_particles" in g else []
    parts += [str(g["solver"])] if "solver" in g else []
    return ", ".join(parts)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def scores(samples: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """CRPS, RMSE of the ensemble mean, spread-skill and 90% coverage of samples (n, ...) against truth (...)."""
    mask = np.isfinite(truth) if mask is None else mask & np.isfinite(truth)
    mean = samples.mean(axis=0)
    out = {
        "crps": crps_ensemble(samples, truth, mask),
        "rmse": float(np.sqrt(np.mean((mean - truth)[mask] ** 2))),
        "coverage_90": interval_coverage(samples, truth, mask, levels=(0.9,))[0.9],
    }
    if samples.shape[0] > 1 and np.ptp(samples, axis=0)[mask].max() > 0:
        out["spread_skill"] = spread_skill_ratio(samples, truth, mask)
    return out


def fan_figure(
    runs: dict[str, list[np.ndarray]],
    name: str,
    channel: int,
    truth: np.ndarray,
    observed: np.ndarray | None = None,
    ylabel: str = "",
    title: str = "",
) -> str:
    """Every method's first window (samples (n, C, L), channel ``channel``) as fan charts against ``truth`` (L,)
    in ``<results>/<name>.png``; returns the path."""
    samples = {method: r[0][:, channel] for method, r in runs.items() if r[0].shape[0] > 1}
    path = plot_method_fans(samples, WORK / "results" / f"{name}.png", truth, observed, ylabel=ylabel, title=title)
    return str(path)


def stack_runs(runs: list[np.ndarray]) -> np.ndarray:
    """Per-window ensembles (n, ...) stacked as one ensemble over windows: (n, W, ...)."""
    return np.stack(runs, axis=1)


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def set_threads(threads: int) -> None:
    """Torch threads for a part's evaluation (1 when another job shares the 2 cores)."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)
