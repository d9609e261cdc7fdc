"""Long rollouts far beyond the training window: windows chained autoregressively with consistent overlaps.

Each new window of L steps is sampled given the last O steps of the series so far (a forecasting problem with
context O), and its last L - O steps are appended; the first O steps of the new window are the model's
reproduction of the conditioning overlap, so their distance to the series is a consistency check (it is 0 up to
the observation-noise level for an exact posterior). For a Markov process of order <= O with exact conditionals
the chained series has exactly the law of the process (as in the autoregressive rollouts of SDA: Rozet & Louppe,
"Score-based Data Assimilation", 2023, arXiv:2306.10574).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.masks import forecast_mask
from sciddiff.domains.timeseries.tasks import Problem, conditional_batch, guided_sample, is_conditional
from torch import Tensor

from sciddiff.state import derive_seed
from sciddiff.train import TrainedModel

Step = Callable[[Tensor, int], Tensor]


@dataclass
class Rollout:
    """The chained series (n, C, T) and, per appended window, the largest |overlap - series| over members."""

    series: Tensor
    overlap_error: Tensor


def chain(step: Step, start: Tensor, n_steps: int, window: int, overlap: int) -> Rollout:
    """Extend ``start`` (n, C, T0), T0 >= overlap, to ``n_steps`` steps. ``step(prefix, k)`` returns windows
    (n, C, window) continuing prefixes (n, C, overlap), for the k-th window."""
    if not 1 <= overlap < window:
        raise ValueError(f"the overlap must be between 1 and window - 1 = {window - 1}, got {overlap}")
    if start.shape[-1] < overlap:
        raise ValueError(f"the start has {start.shape[-1]} steps; the overlap needs at least {overlap}")
    series, errors, k = start, [], 0
    while series.shape[-1] < n_steps:
        prefix = series[..., -overlap:]
        new = step(prefix, k)
        if new.shape != (*prefix.shape[:-1], window):
            raise ValueError(
                f"a rollout step returned shape {tuple(new.shape)}; expected {(*prefix.shape[:-1], window)}"
            )
        errors.append((new[..., :overlap] - prefix).abs().amax())
        series = torch.cat([series, new[..., overlap:]], dim=-1)
        k += 1
    return Rollout(series[..., :n_steps], torch.stack(errors) if errors else torch.zeros(0))


def model_step(
    model: TrainedModel,
    overlap: int,
    cfg: Mapping[str, Any],
    seed: int,
    dtype: Any = torch.float32,
    noise_std: float = 0.0,
    times: Callable[[int], np.ndarray] | None = None,
    static: Mapping[str, Tensor] | None = None,
) -> Step:
    """The rollout step of a trained model: conditional sampling given the overlap as context (all members in
    one batch), or guided posterior sampling with a forecasting mask (observation noise ``noise_std`` in
    physical units), one member at a time. ``times(k)`` gives the time coordinates of window k, for the calendar
    features of a model trained with them; ``static`` the series' static conditions, for a model trained with
    static covariates."""
    adapter = model.adapter
    c, window = adapter.channels, adapter.options["window"]
    mask = forecast_mask((c, window), overlap)
    noise = torch.full((c,), float(noise_std), dtype=torch.float64)
    if adapter.options["calendar"] and times is None:
        raise ValueError(f"the model uses calendar features {adapter.options['calendar']}; the rollout needs the times")
    if adapter.options["static"] and not static:
        raise ValueError(f"the model uses static covariates {adapter.options['static']}; give the series' conditions")

    def step(prefix: Tensor, k: int) -> Tensor:
        y = torch.nn.functional.pad(prefix.double(), (0, window - overlap), value=float("nan"))
        t = np.arange(window) if times is None else times(k)
        covariates = adapter.covariates(np.asarray(t)[None])
        covariates = None if covariates is None else covariates[0]
        if is_conditional(model):
            solver = cfg["solver"]
            batch_mask = mask.expand(prefix.shape[0], c, window)
            return conditional_batch(
                model, y, batch_mask, solver["name"], int(solver["steps"]), derive_seed(seed, k), dtype,
                covariates, static,
            )  # fmt: skip
        guide = cfg["guidance"]
        options = {**dict(guide.get("options") or {}), "solver": cfg.get("guided_solver")}
        method, steps, out = guide["method"], int(guide["steps"]), []
        for i, row in enumerate(y):
            problem = Problem(row, mask, row, noise, t, covariates, dict(static or {}))
            draw_seed = derive_seed(derive_seed(seed, k), i)
            out.append(guided_sample(model, problem, 1, method, steps, draw_seed, dtype, **options))
        return torch.cat(out)

    return step


def model_rollout(
    model: TrainedModel,
    start: Tensor,
    n_steps: int,
    overlap: int,
    cfg: Mapping[str, Any],
    seed: int = 0,
    noise_std: float = 0.0,
    dtype: Any = torch.float32,
    time: Callable[[np.ndarray], np.ndarray] | None = None,
    static: Mapping[str, Tensor] | None = None,
) -> Rollout:
    """Chain windows of ``model`` from ``start`` (n, C, T0) physical values to ``n_steps`` steps. ``time(i)``
    maps step indices i of the series (0 = the first step of ``start``) to time coordinates, for calendar
    features; ``static`` holds the series' static conditions."""
    window = model.adapter.options["window"]
    times = None if time is None else window_times(time, start.shape[-1], window, overlap)
    step = model_step(model, overlap, cfg, seed, dtype, noise_std, times, static)
    return chain(step, start, n_steps, window, overlap)


def window_times(
    time: Callable[[np.ndarray], np.ndarray], t0: int, window: int, overlap: int
) -> Callable[[int], np.ndarray]:
    """The time coordinates of the k-th chained window after a start of t0 steps: its steps are
    t0 - overlap + k (window - overlap) + (0, ..., window - 1) of the series."""
    return lambda k: time(t0 - overlap + k * (window - overlap) + np.arange(window))
