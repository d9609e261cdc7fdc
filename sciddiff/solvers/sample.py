"""The single sampling entry point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sciddiff.processes import Process
from sciddiff.solvers.categorical_sample import sample_categorical
from sciddiff.solvers.integrate import SampleInfo, check_state, integrate
from sciddiff.solvers.optimize_grid import optimize_grid
from sciddiff.solvers.registry import get_solver
from sciddiff.state import State, StateSpec


def sample(
    denoiser: Any,
    process: Any,
    x: State,
    solver: str | Any | None = None,
    steps: int | None = 10,
    *,
    grid: object = None,
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
    - ``process``: a Gaussian :class:`Process`; or, for states with categorical leaves, a :class:`MixedProcess`,
      a :class:`CategoricalProcess` (plain tensor state) or a mapping leaf -> process (see below).
    - ``solver``: a name from ``SOLVERS`` (ddpm, ddim, euler, heun, dpmpp_2m, dpmpp_3m, dpmpp_2m_sde, unipc, em,
      pc, rk45) or a solver instance (default dpmpp_2m); solver ``**options`` (e.g. ``eta=``, ``churn=``,
      ``rtol=``) go to it.
    - ``steps``: grid intervals. Evaluations: ddim/ddpm/euler/dpmpp_2m/dpmpp_2m_sde/unipc/em = steps,
      heun = 2 steps - 1, dpmpp_3m = steps + 1, pc = 2 steps, rk45 adaptive; plus one for the final denoise
      unless ``denoise_final=False``.
    - ``grid``: "karras" (default for Gaussian processes, rho = 7), "uniform_t", "uniform_logsnr", "optimized"
      (tuned at run time on this denoiser; see ``optimize_grid``), a callable (process, steps) -> times, or a
      tensor (steps+1,) or (B, steps+1).
    - ``generator``: None, a torch.Generator, an int seed (sample i gets its own stream, so it does not depend
      on the batch size) or one seed/generator per sample.
    - ``spec``: the state's :class:`StateSpec` (masks, constraints); inferred from x when omitted.

    x is never modified; the result has x's dtype and device. ``return_info=True`` returns (x, SampleInfo).

    Categorical leaves hold integer states (the mask token is K for masked processes) and the denoiser returns a
    ``Prediction`` with x0-logits (B, *event, K) per categorical leaf (see ``sciddiff.denoisers.categorical_output``).
    - categorical-only states: ``solver`` "ancestral" (default; ``steps`` evaluations on the grid, "uniform_t" by
      default) or "first_hitting" (masked leaves; one evaluation per masked entry, ``steps`` ignored).
    - mixed states: ``solver`` is the continuous solver of the continuous leaves (default dpmpp_2m; "ancestral"
      means ddpm; solvers that evaluate off the grid are refused), the grid is the continuous process' (default
      "karras"), and the categorical leaves take ancestral steps at the same grid times; the final denoise draws
      them from p(x0 | x_{t_min}).
    """
    if not isinstance(process, Process):
        out, info = sample_categorical(
            denoiser,
            process,
            x,
            solver,
            steps,
            grid=grid,
            generator=generator,
            spec=spec,
            cond=cond,
            denoise_final=denoise_final,
            progress=progress,
            **options,
        )
        return (out, info) if return_info else out
    grid = "karras" if grid is None else grid
    method = get_solver("dpmpp_2m" if solver is None else solver, **options)
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
