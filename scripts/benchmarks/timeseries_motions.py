"""UEA BasicMotions imputation: random gaps at 10/50/90% missing in the 32 held-out cases (6 channels, 10 Hz),
against linear interpolation and a per-channel SARIMAX Kalman smoother fitted on the training cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.baselines import linear_interpolation, state_space_model, state_space_smooth
from sciddiff.domains.timeseries.masks import random_mask
from sciddiff.domains.timeseries.tasks import make_problem

from sciddiff.state import derive_seed
from scripts.benchmarks.timeseries_common import conditional, fan_figure, model, scores, stack_runs, timed

MOTIONS_MODEL = {"order": (3, 0, 0), "trend": "c"}
CASE_GAP = 20  # NaN steps between training cases when they are joined for fitting, so no case predicts the next


def fit_channels(train: np.ndarray) -> list[np.ndarray]:
    """SARIMAX parameters per channel, fitted by maximum likelihood on the training cases (S, T, C) joined with
    ``CASE_GAP`` missing steps between them."""
    s, _, c = train.shape
    joined = np.concatenate([train, np.full((s, CASE_GAP, c), np.nan)], axis=1).reshape(-1, c)
    return [state_space_model(joined[:, k], "sarimax", **MOTIONS_MODEL).fit(disp=False).params for k in range(c)]


def kalman_impute(y: np.ndarray, params: list[np.ndarray], n: int, seed: int) -> np.ndarray:
    """Simulation-smoother draws (n, C, L) of each channel of y (C, L; NaN hidden) with its fitted parameters."""
    draws = [
        state_space_smooth(y[k], n, derive_seed(seed, k), params=p, kind="sarimax", **MOTIONS_MODEL).samples
        for k, p in enumerate(params)
    ]
    return np.stack(draws, axis=1)


def gap_mask(shape: tuple[int, int], rate: float, generator: torch.Generator) -> torch.Tensor:
    """:func:`random_mask` with one random step put back in every channel it hides entirely: the per-channel
    baselines need an observed value (at 90% missing, 0.9^50 = 0.5% of the channels of a window lose all 50)."""
    mask = random_mask(shape, rate, generator)
    empty = torch.nonzero(~mask.any(dim=1))[:, 0]
    mask[empty, torch.randint(shape[1], (len(empty),), generator=generator)] = True
    return mask


def motions_imputation(
    rates: tuple[float, ...] = (0.1, 0.5, 0.9), n_samples: int = 50, seed: int = 0
) -> dict[str, Any]:
    """Each held-out case as two non-overlapping 50-step windows (5 s), a fraction ``rate`` of its entries hidden
    at random; only the hidden entries are scored."""
    cond, cond_train = model("motions_conditional")
    adapter = cond.adapter
    train, test = adapter.splits["train"], adapter.splits["test"]
    cases = np.unique(train.series)
    params = fit_channels(train.values[cases])
    chosen = np.flatnonzero(test.start % test.window == 0)  # windows starting at 0 s and 5 s of every case
    results: dict[str, Any] = {}
    figures: dict[str, str] = {}
    for rate in rates:
        runs: dict[str, list[np.ndarray]] = {k: [] for k in ("conditional", "kalman smoother", "linear")}
        seconds = dict.fromkeys(runs, 0.0)
        truths, hidden = [], []
        for j, w in enumerate(chosen):
            truth = test.raw(int(w))
            g = torch.Generator().manual_seed(derive_seed(seed, 1000 * j + int(100 * rate)))
            mask = gap_mask(tuple(truth.shape), rate, g)
            problem = make_problem(truth, mask, torch.zeros(truth.shape[0]), 0, test.times(int(w)))
            y = problem.y.numpy()
            draws = {
                "conditional": lambda p=problem, j=j: conditional(cond, p, n_samples, derive_seed(seed + 1, j)),
                "kalman smoother": lambda y=y, j=j: kalman_impute(y, params, n_samples, derive_seed(seed + 2, j)),
                "linear": lambda y=y: linear_interpolation(y.T).samples.transpose(0, 2, 1),
            }
            for name, fn in draws.items():
                out, sec = timed(fn)
                runs[name].append(out)
                seconds[name] += sec
            truths.append(truth.numpy())
            hidden.append((~problem.mask).numpy())
        truth_all, hidden_all = np.stack(truths), np.stack(hidden)
        results[str(rate)] = {
            name: {**scores(stack_runs(r), truth_all, hidden_all), "seconds": seconds[name]} for name, r in runs.items()
        }
        title = f"BasicMotions channel 0, first held-out window, {rate:.0%} missing"
        name = f"motions_{int(100 * rate)}_fan"
        figures[str(rate)] = fan_figure(runs, name, 0, truth_all[0, 0], ~hidden_all[0, 0], "dim_0", title)
    return {
        "rates": results,
        "training": {"conditional": cond_train},
        "windows": len(chosen),
        "cases": len(np.unique(test.series)),
        "train_cases": len(cases),
        "figures": figures,
    }
