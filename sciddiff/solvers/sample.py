"""The single sampling entry point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sciddiff.processes import Process
from sciddiff.solvers.base import Solver
from sciddiff.solvers.integrate import SampleInfo, check_state, integrate
from sciddiff.solvers.optimize_grid import optimize_grid
from sciddiff.solvers.registry import get_solver
from sciddiff.state import State, StateSpec


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
    tuning = None
    if isinstance(grid, str) and grid == "optimized":
        tuning = optimize_grid(denoiser, process, method, steps, like=x, spec=spec, cond=cond, free_end=denoise_final)
        grid = tuning.grid
    out, info = integrate(
        denoiser,
        process,
        x,
        method,
        steps,
        grid,
        spec,
        generator=generator,
        cond=cond,
        denoise_final=denoise_final,
        progress=progress,
    )
    if tuning is not None:
        info.stats["grid_tuning_nfe"] = tuning.cost.nfe
    return (out, info) if return_info else out
