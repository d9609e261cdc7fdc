"""Solving a window's task with a trained model, both ways: a conditional model given the observed values and
mask as its context (CSDI), or an unconditional model steered by a masking operator (TSDiff/SDA-style guidance).

A :class:`Problem` holds one window: the truth (NaN where the data has none), the observation mask, and the noisy
observed values y. Samples come back in physical units, (n, C, L).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.masks import csdi_context
from torch import Tensor

import sciddiff
from sciddiff.guidance import DenoiserTransform, get_method
from sciddiff.operators import Mask
from sciddiff.state import derive_seed
from sciddiff.train import TrainedModel, sample_model


@dataclass
class Problem:
    """One window: ``truth`` (C, L) physical values with NaN for missing data, ``mask`` (C, L) the entries given
    to the model, ``y`` (C, L) the noisy observed values (NaN elsewhere), ``noise_std`` (C,) their noise std,
    ``time`` (L,) the window's times, ``covariates`` (F, L) per-time features and ``static`` per-window conditions."""

    truth: Tensor
    mask: Tensor
    y: Tensor
    noise_std: Tensor
    time: np.ndarray
    covariates: Tensor | None = None
    static: dict[str, Tensor] = field(default_factory=dict)

    @property
    def target(self) -> Tensor:
        """Entries to score: not given to the model and present in the data."""
        return ~self.mask & torch.isfinite(self.truth)


def make_problem(
    truth: Tensor,
    mask: Tensor,
    noise_std: Tensor,
    seed: int,
    time: np.ndarray,
    covariates: Tensor | None = None,
    static: Mapping[str, Tensor] | None = None,
) -> Problem:
    """Observe ``truth`` where ``mask`` is True and the data is not missing, adding N(0, noise_std^2) noise."""
    given = mask & torch.isfinite(truth)
    if not bool(given.any()) and bool(mask.any()):
        raise ValueError("the observation mask selects only missing entries of this window; nothing is observed")
    g = torch.Generator().manual_seed(seed)
    noise = noise_std.to(torch.float64)[:, None] * torch.randn(truth.shape, generator=g, dtype=torch.float64)
    y = torch.where(given, truth.double() + noise, torch.full_like(truth, float("nan"), dtype=torch.float64))
    return Problem(truth.double(), given, y, noise_std.double(), time, covariates, dict(static or {}))


def is_conditional(model: TrainedModel) -> bool:
    """Whether the model was trained conditionally on observation masks (CSDI-style)."""
    return bool(model.adapter.options.get("conditional"))


class WithConditions:
    """A denoiser with fixed conditions (calendar covariates, static covariates) repeated over the batch."""

    def __init__(self, denoiser: Any, cond: Mapping[str, Tensor]) -> None:
        self.denoiser, self.cond = denoiser, dict(cond)

    def __call__(self, x: Tensor, t: Tensor, **cond: Any) -> Any:
        fixed = {k: v.expand(x.shape[0], *v.shape[1:]).to(x.device) for k, v in self.cond.items()}
        return self.denoiser(x, t, **fixed, **cond)


def fixed_conditions(problem: Problem) -> dict[str, Tensor]:
    """The conditions of an unconditional model (calendar covariates, static covariates), batch axis 1."""
    cond = {} if problem.covariates is None else {"context": problem.covariates[None].float()}
    cond.update({k: v[None] for k, v in problem.static.items()})
    return cond


def conditional_batch(
    model: TrainedModel,
    y: Tensor,
    mask: Tensor,
    solver: str = "dpmpp_2m",
    steps: int = 20,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    covariates: Tensor | None = None,
    static: Mapping[str, Tensor] | None = None,
) -> Tensor:
    """One draw per row of y (n, C, L) (observed values, NaN elsewhere) given its context [values, mask (n, C, L),
    covariates (F, L)]: sample i is seeded by (seed, i)."""
    adapter = model.adapter
    n = y.shape[0]
    offset = adapter.norm.window_offset(y, mask)
    x_obs = torch.where(mask, adapter.norm.encode(y, offset), 0.0)
    cov = None if covariates is None else covariates[None].expand(n, *covariates.shape)
    cond = {"context": csdi_context(x_obs, mask, None, cov).to(dtype)}
    cond.update({k: v.reshape(1, *v.shape).expand(n, *v.shape) for k, v in dict(static or {}).items()})
    x = sample_model(
        model.denoiser, model.process, adapter.sample_spec, n, solver, steps, seed=seed, cond=cond, dtype=dtype
    )
    return adapter.decode(x, offset)


def conditional_sample(
    model: TrainedModel,
    problem: Problem,
    n: int,
    solver: str = "dpmpp_2m",
    steps: int = 20,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """n draws of the window given its context [observed values, mask, covariates] (CSDI)."""
    y = problem.y[None].expand(n, *problem.y.shape)
    mask = problem.mask[None].expand(n, *problem.mask.shape)
    return conditional_batch(model, y, mask, solver, steps, seed, dtype, problem.covariates, problem.static)


def guided_sample(
    model: TrainedModel,
    problem: Problem,
    n: int,
    method: str = "mmps",
    steps: int = 50,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    solver: str | None = None,
    **options: Any,
) -> Tensor:
    """n posterior draws for y = x[mask] + noise with the unconditional prior, by ``posterior_sample``.

    The mask acts in physical units; on the state it is Mask o decode without the offset (``adapter.lift``),
    observing y - offset[mask].
    ``solver`` integrates denoiser-transform methods (dps, pigdm, mmps, diffpir); it is ignored by methods
    that run their own loop.
    """
    adapter = model.adapter
    if not bool(problem.mask.any()):
        raise ValueError("guided sampling needs at least one observed entry; use unconditional sampling instead")
    offset = adapter.norm.window_offset(problem.y, problem.mask)
    op = Mask(problem.mask)
    lifted = adapter.lift(op)
    y = op.forward(problem.y[None])[0] - op.forward(offset.expand(1, *problem.mask.shape))[0]
    noise = op.forward(problem.noise_std[None, :, None].expand(1, *problem.mask.shape))[0]
    noise_std: Any = 0.0 if bool((noise == 0).all()) else noise
    cond = fixed_conditions(problem)
    denoiser = WithConditions(model.denoiser, cond) if cond else model.denoiser
    transform = isinstance(get_method(method, **options), DenoiserTransform)
    x = sciddiff.posterior_sample(
        denoiser, model.process, lifted, y.to(dtype), noise_std, method, steps, n, generator=seed,
        solver=solver if transform else None, **options,
    )  # fmt: skip
    return adapter.decode(x, offset)


DTYPES = {"float32": torch.float32, "float64": torch.float64}


def solve(model: TrainedModel, problem: Problem, n: int, cfg: Mapping[str, Any], seed: int) -> Tensor:
    """Conditional sampling for a conditional model, guided posterior sampling otherwise, as ``cfg`` says:
    ``solver`` {name, steps}, ``guidance`` {method, steps, options}, ``guided_solver`` and ``dtype``."""
    dtype = DTYPES[cfg.get("dtype", "float32")]
    solver = cfg["solver"]
    if is_conditional(model):
        return conditional_sample(model, problem, n, solver["name"], int(solver["steps"]), seed, dtype)
    if not bool(problem.mask.any()):
        cond = fixed_conditions(problem)
        den = WithConditions(model.denoiser, cond) if cond else model.denoiser
        spec = model.adapter.sample_spec
        x = sample_model(den, model.process, spec, n, solver["name"], int(solver["steps"]), seed=seed, dtype=dtype)
        return model.adapter.decode(x)
    guide = cfg["guidance"]
    options = dict(guide.get("options") or {})
    method, steps = guide["method"], int(guide["steps"])
    return guided_sample(
        model, problem, n, method, steps, derive_seed(seed, 1), dtype, solver=cfg.get("guided_solver"), **options
    )
