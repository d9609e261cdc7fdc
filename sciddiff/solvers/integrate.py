"""The sampling loop shared by the entry point and by grid optimisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.processes import Process
from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.grids import build_grid
from sciddiff.solvers.model import FlatModel
from sciddiff.solvers.schedule import Schedule
from sciddiff.state import NoiseSource, State, StateSpec


@dataclass
class SampleInfo:
    """What a sampling run did: evaluations (including the final denoise), the grid, and solver statistics."""

    solver: str
    steps: int
    nfe: int
    grid: Tensor
    cost: Cost
    stats: dict[str, Any] = field(default_factory=dict)


def check_state(x: State, who: str = "x") -> None:
    """Refuse non-finite entries in a state (one host sync)."""
    leaves = {"": x} if isinstance(x, Tensor) else dict(x)
    for k, v in leaves.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"{who} must be a tensor or a mapping of tensors; leaf {k!r} is {type(v).__name__}")
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            bad = int((~torch.isfinite(v)).sum())
            where = f" leaf {k!r}" if k else ""
            raise ValueError(f"{who}{where} contains {bad} non-finite values (NaN or inf)")


def integrate(
    denoiser: Any,
    process: Process,
    x: State,
    method: Solver,
    steps: int | None,
    grid: object,
    spec: StateSpec,
    *,
    generator: object = None,
    cond: Mapping[str, Any] | None = None,
    denoise_final: bool = True,
    progress: bool = False,
) -> tuple[State, SampleInfo]:
    """Run ``method`` over the resolved grid (see :func:`sciddiff.sample` for the arguments)."""
    z = spec.flatten(x)
    b = z.shape[0]
    g = build_grid(process, steps, grid, b, z.device)
    cost = Cost()
    model = FlatModel(denoiser, spec, x, dict(cond or {}), cost)
    noise = NoiseSource.of(generator, b, z.device)
    ctx = Context(model, Schedule.build(process, g), lambda: spec.noise_flat(noise, z.dtype), z.dtype, progress)
    z = method.run(ctx, z)
    if denoise_final:
        z = ctx.denoise(z, ctx.sched.steps)
    model.raise_if_nonfinite()
    stats: dict[str, Any] = {}
    if getattr(method, "stats", None) is not None:
        st = method.stats
        stats = {"accepted": st.accepted, "rejected": st.rejected, "iterations": st.iterations}
    return spec.unflatten(z, like=x), SampleInfo(method.name, g.shape[-1] - 1, cost.nfe, g, cost, stats)
