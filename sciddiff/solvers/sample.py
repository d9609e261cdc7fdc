"""The single sampling entry point."""

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
from sciddiff.solvers.registry import get_solver
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


def sample(
    denoiser: Any,
    process: Process,
    x: State,
    solver: str | Solver = "dpmpp_2m",
    steps: int | None = 10,
    *,
    grid: object = "karras",
    generator: object = None,
    spec: StateSpec | None = None,
    cond: Mapping[str, Any] | None = None,
    denoise_final: bool = True,
    return_info: bool = False,
    progress: bool = False,
    **options: Any,
) -> State | tuple[State, SampleInfo]:
    """Integrate the reverse process from x at the first grid time (t_max) to t_min, then return D(x, t_min).

    - ``denoiser``: any callable (x_t, t, **cond) -> E[x0 | x_t] with t of shape (B,).
    - ``solver``: a name from ``SOLVERS`` (ddpm, ddim, euler, heun, dpmpp_2m, dpmpp_3m, dpmpp_2m_sde, unipc, em,
      pc, rk45) or a solver instance; solver ``**options`` (e.g. ``eta=``, ``churn=``, ``rtol=``) go to it.
    - ``steps``: grid intervals. Evaluations: ddim/ddpm/euler/dpmpp_2m/dpmpp_2m_sde/unipc/em = steps,
      heun = 2 steps - 1, dpmpp_3m = steps + 1, pc = 2 steps, rk45 adaptive; plus one for the final denoise
      unless ``denoise_final=False``.
    - ``grid``: "karras" (default, rho = 7), "uniform_t", "uniform_logsnr", "optimized" (tuned at run time
      on this denoiser; see ``optimize_grid``), a callable (process, steps) -> times, or a tensor (steps+1,)
      or (B, steps+1).
    - ``generator``: None, a torch.Generator, an int seed (sample i gets its own stream, so it does not depend
      on the batch size) or one seed/generator per sample.
    - ``spec``: the state's :class:`StateSpec` (masks, constraints); inferred from x when omitted.

    x is never modified; the result has x's dtype and device. ``return_info=True`` returns (x, SampleInfo).
    """
    if not isinstance(process, Process):
        raise ValueError(f"process must be a sciddiff Process (e.g. sciddiff.processes.VP()), got {process!r}")
    method = get_solver(solver, **options)
    check_state(x)
    spec = spec if spec is not None else StateSpec.of(x)
    spec.require_continuous(f"solver {method.name!r}")
    z = spec.flatten(x)
    b = z.shape[0]
    if isinstance(grid, str) and grid == "optimized":
        from sciddiff.solvers.optimize_grid import optimize_grid

        grid = optimize_grid(denoiser, process, method, steps, like=x, spec=spec, cond=cond)
    g = build_grid(process, steps, grid, b, z.device)
    cost = Cost()
    model = FlatModel(denoiser, spec, x, dict(cond or {}), cost)
    noise = NoiseSource.of(generator, b, z.device)
    ctx = Context(model, Schedule.build(process, g), lambda: spec.noise_flat(noise, z.dtype), z.dtype, progress)
    z = method.run(ctx, z)
    if denoise_final:
        z = ctx.denoise(z, ctx.sched.steps)
    model.raise_if_nonfinite()
    out = spec.unflatten(z, like=x)
    if not return_info:
        return out
    stats = {}
    if getattr(method, "stats", None) is not None:
        st = method.stats
        stats = {"accepted": st.accepted, "rejected": st.rejected, "iterations": st.iterations}
    return out, SampleInfo(method.name, g.shape[-1] - 1, cost.nfe, g, cost, stats)
