"""Sampling of categorical-only and mixed continuous/categorical states, behind ``sciddiff.sample``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from sciddiff.denoisers import Cost
from sciddiff.processes import MixedProcess
from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.categorical_model import CategoricalCaller, MixedModel
from sciddiff.solvers.categorical_solvers import CategoricalContext, get_categorical_solver
from sciddiff.solvers.categorical_step import AncestralStepper, check_categorical
from sciddiff.solvers.grids import build_grid
from sciddiff.solvers.integrate import SampleInfo, check_state
from sciddiff.solvers.registry import get_solver
from sciddiff.solvers.schedule import Schedule
from sciddiff.state import NoiseSource, State, StateSpec


def check_on_grid(method: Solver) -> None:
    """Refuse solvers that evaluate the denoiser off the grid, where the categorical leaves have no state."""
    off = (
        method.name == "rk45"
        or (method.name == "dpmpp_3m" and getattr(method, "warmup", None) == "singlestep")
        or (method.name in ("euler", "heun") and getattr(method, "churn", 0.0) > 0)
    )
    if off:
        raise ValueError(
            f"solver {method.name!r} (as configured) evaluates the denoiser between grid points, where the "
            "categorical leaves of a mixed state are undefined; use ddpm, ddim, euler, heun (churn 0), dpmpp_2m, "
            "dpmpp_3m (warmup='multistep'), dpmpp_2m_sde, unipc, em or pc"
        )


def _grid(process: MixedProcess, steps: int | None, grid: object, b: int, device: torch.device) -> torch.Tensor:
    if process.continuous is not None:
        return build_grid(process.continuous, steps, "karras" if grid is None else grid, b, device)
    grid = "uniform_t" if grid is None else grid
    if isinstance(grid, str) and grid != "uniform_t":
        raise ValueError(
            f"grid {grid!r} needs a Gaussian process; categorical-only states use 'uniform_t', a callable or a tensor"
        )
    return build_grid(process, steps, grid, b, device)  # type: ignore[arg-type]


def sample_categorical(
    denoiser: Any,
    process: Any,
    x: State,
    solver: str | Any | None,
    steps: int | None,
    *,
    grid: object = None,
    generator: object = None,
    spec: StateSpec | None = None,
    cond: Mapping[str, Any] | None = None,
    denoise_final: bool = True,
    progress: bool = False,
    **options: Any,
) -> tuple[State, SampleInfo]:
    """Sample a state with categorical leaves; see :func:`sciddiff.sample` for the arguments.

    Categorical-only states take ``solver`` "ancestral" (default) or "first_hitting" and the grid "uniform_t"
    (default). Mixed states take a continuous solver name or instance for the continuous leaves (default dpmpp_2m;
    "ancestral" means ddpm) and the grid "karras" (default) or any grid of the continuous process; their
    categorical leaves take ancestral steps on the same grid.
    """
    proc = MixedProcess.of(process)
    check_state(x)
    spec = spec if spec is not None else proc.spec_for(x)
    proc.check_spec(spec)
    leaves = spec.as_leaves(x)
    check_categorical(proc, spec, leaves)
    ref = next(iter(leaves.values()))
    b, device = ref.shape[0], ref.device
    noise = NoiseSource.of(generator, b, device)
    cost = Cost()
    if isinstance(grid, str) and grid == "optimized":
        raise ValueError("grid='optimized' tunes grids of continuous states; give a grid name, callable or tensor")
    if not spec.continuous:
        method = get_categorical_solver("ancestral" if solver is None else solver, **options)
        if method.name == "first_hitting":  # its event times are drawn; steps and grid do not apply
            g = torch.tensor([[proc.t_max, proc.t_min]], dtype=torch.float64, device=device)
        else:
            g = _grid(proc, steps, grid, b, device)
        caller = CategoricalCaller(denoiser, spec, dict(cond or {}), cost, torch.get_default_dtype())
        ctx = CategoricalContext(caller, proc, spec, g, noise, progress)
        cats, visited = method.run(ctx, {k: leaves[k] for k in spec.categorical}, denoise_final)
        caller.raise_if_nonfinite()
        return spec.from_leaves(cats), SampleInfo(method.name, visited.shape[-1] - 1, cost.nfe, visited, cost)
    if isinstance(solver, str) and solver == "first_hitting":
        raise ValueError(
            "first_hitting draws its own event times, so it samples categorical-only states; a mixed state's "
            "categorical leaves take ancestral steps on the continuous solver's grid"
        )
    name = {None: "dpmpp_2m", "ancestral": "ddpm"}.get(solver, solver) if isinstance(solver, str | None) else solver
    method = get_solver(name, **options)
    check_on_grid(method)
    z = spec.flatten(x)
    g = _grid(proc, steps, grid, b, device)
    stepper = AncestralStepper(proc, spec, leaves, g, noise)
    model = MixedModel(denoiser, spec, x, dict(cond or {}), cost, stepper)
    ctx = Context(model, Schedule.build(proc.continuous, g), lambda: spec.noise_flat(noise, z.dtype), z.dtype, progress)
    z = method.run(ctx, z)
    n = g.shape[1] - 1
    stepper.at(n)
    if denoise_final:
        z = ctx.denoise(z, n)
        stepper.finish()
    model.raise_if_nonfinite()
    out = spec.unflatten(z, like=spec.from_leaves({**leaves, **stepper.leaves}))
    return out, SampleInfo(method.name, n, cost.nfe, g, cost)
