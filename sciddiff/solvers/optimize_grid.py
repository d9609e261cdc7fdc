"""Time grids optimised at run time for a given denoiser and deterministic solver.

The interior grid points, parametrised by softmax increments of rho = log(sigma/alpha) between the fixed end
points, are fitted by Adam to minimise the mean squared error between the solver's output and a tight-tolerance
probability-flow solution, on pilot draws from the prior, by differentiating through the solver. The learned
grid is kept only if it also beats the starting grid on held-out pilot draws. In the spirit of Watson et al.,
"Learning Fast Samplers for Diffusion Models by Differentiating Through Sample Quality" (2022),
arXiv:2202.05830, and Sabour et al., "Align Your Steps" (2024), arXiv:2404.14507.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.processes import Process
from sciddiff.solvers.base import Solver
from sciddiff.solvers.grids import build_grid
from sciddiff.solvers.integrate import integrate
from sciddiff.solvers.registry import get_solver
from sciddiff.state import NoiseSource, State, StateSpec


def _pilot(process: Process, spec: StateSpec, like: State, n: int, seed: int, dtype: torch.dtype) -> State:
    if spec.masks:
        raise ValueError("grid optimisation does not support masked states; pass a grid tensor instead")
    flat = NoiseSource(seed, n, spec.flatten(like).device).randn((spec.flat_dim,), dtype) * process.prior_std()
    return spec.unflatten(spec.project_flat(flat))


@dataclass
class TunedGrid:
    """The tuned grid (steps+1,), its held-out mean squared error, that of the first starting grid, and the
    tuning cost."""

    grid: Tensor
    held_out_error: float
    start_error: float
    cost: Cost


def optimize_grid(
    denoiser: Any,
    process: Process,
    solver: str | Solver,
    steps: int | None,
    *,
    like: State,
    spec: StateSpec | None = None,
    cond: Mapping[str, Any] | None = None,
    init: Sequence[object] = ("karras", "uniform_logsnr", "uniform_t"),
    free_end: bool = True,
    n_pilot: int = 512,
    iterations: int = 150,
    lr: float = 0.05,
    reference_rtol: float = 1e-6,
    seed: int = 0,
) -> TunedGrid:
    """A (steps+1,) float64 grid tuned for ``denoiser`` and the deterministic ``solver``.

    Each grid in ``init`` starts one fit; the candidate (fitted or not) with the lowest held-out error wins.
    With ``free_end`` the last grid time, where the final denoise happens, is fitted too (it may stop above
    t_min when denoising earlier is more accurate, as diffusers' default spacing implicitly does); without it
    the grid ends at t_min and the objective compares states there. ``like`` supplies the state structure
    (its batch is not used); ``n_pilot`` prior draws train the grid and as many held-out draws validate it (the
    squared error to the flow map is heavy-tailed where trajectories split between modes, so small pilot sets
    overfit). Cost: about ``len(init) * iterations`` solver runs on ``n_pilot`` draws, reported in ``cost``.
    """
    method = get_solver(solver)
    if method.stochastic or method.nfe(1) is None:
        raise ValueError(f"grid optimisation needs a deterministic fixed-step solver, got {method.name!r}")
    spec = spec if spec is not None else StateSpec.of(like)
    device = spec.flatten(like).device
    dtype = torch.float64 if device.type != "mps" else torch.float32
    pilot_spec = StateSpec(spec.leaves, spec.is_tensor)
    cost = Cost()

    def run(x: State, g: Tensor, how: Solver = method) -> Tensor:
        out, info = integrate(denoiser, process, x, how, None, g, pilot_spec, cond=cond, denoise_final=free_end)
        cost.nfe += info.nfe
        return pilot_spec.flatten(out)

    train, held = (_pilot(process, spec, like, n_pilot, seed + k, dtype) for k in (0, 1))
    starts = [build_grid(process, steps, g, 1, device)[0] for g in init]
    with torch.no_grad():
        reference = get_solver("rk45", rtol=reference_rtol, atol=reference_rtol)
        ref_train, ref_held = (run(x, starts[0], reference) for x in (train, held))

    def held_error(g: Tensor) -> float:
        with torch.no_grad():
            return float((run(held, g) - ref_held).pow(2).sum(1).mean())

    candidates = [(held_error(g), g) for g in starts]
    for start in starts:
        tuned = _fit(
            start,
            process,
            lambda g: (run(train, g) - ref_train).pow(2).sum(1).mean(),
            free_end,
            iterations,
            lr,
        )
        candidates.append((held_error(tuned), tuned))
    best_error, best = min(candidates, key=lambda c: c[0])
    return TunedGrid(best.detach(), best_error, candidates[0][0], cost)


def _fit(
    start: Tensor,
    process: Process,
    loss_of: Callable[[Tensor], Tensor],
    free_end: bool,
    iterations: int,
    lr: float,
) -> Tensor:
    """Adam on softmax increments of rho = log(sigma/alpha) and, with ``free_end``, a sigmoid end point."""
    rho = torch.log(process.sigma(start) / process.alpha(start))
    span = rho[0] - rho[-1]
    theta = torch.log((rho[:-1] - rho[1:]) / span).clone().requires_grad_(True)
    end = torch.tensor(-5.0, dtype=rho.dtype, requires_grad=True)
    params = [theta, end] if free_end else [theta]

    def grid_of() -> Tensor:
        width = span * (1.0 - torch.sigmoid(end)) if free_end else span
        r = torch.cat([rho[:1], rho[0] - torch.cumsum(torch.softmax(theta, 0) * width, 0)])
        g = process.t_of_noise_ratio(torch.exp(r))
        last = g[-1:] if free_end else start[-1:]
        return torch.cat([start[:1], g[1:-1], last])

    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        loss_of(grid_of()).backward()
        opt.step()
    with torch.no_grad():
        return grid_of()
