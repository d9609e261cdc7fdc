"""Time grids optimised at run time for a given denoiser and deterministic solver.

The interior grid points, parametrised by softmax increments of rho = log(sigma/alpha) between the fixed end
points, are fitted by Adam to minimise the mean squared error between the solver's output and a tight-tolerance
probability-flow solution, on pilot draws from the prior, by differentiating through the solver. The learned
grid is kept only if it also beats the starting grid on held-out pilot draws. In the spirit of Watson et al.,
"Learning Fast Samplers for Diffusion Models by Differentiating Through Sample Quality" (2022),
arXiv:2202.05830, and Sabour et al., "Align Your Steps" (2024), arXiv:2404.14507.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """The tuned grid (steps+1,), the held-out errors of the tuned and starting grids, and the tuning cost."""

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
    init: object = "karras",
    n_pilot: int = 128,
    iterations: int = 150,
    lr: float = 0.05,
    reference_rtol: float = 1e-6,
    seed: int = 0,
) -> TunedGrid:
    """A (steps+1,) float64 grid tuned for ``denoiser`` and the deterministic ``solver``.

    ``like`` supplies the state structure (its batch is not used); ``n_pilot`` prior draws train the grid and
    as many held-out draws validate it; ``cost`` counts every evaluation spent on tuning.
    """
    method = get_solver(solver)
    if method.stochastic or method.nfe(1) is None:
        raise ValueError(f"grid optimisation needs a deterministic fixed-step solver, got {method.name!r}")
    spec = spec if spec is not None else StateSpec.of(like)
    cost = Cost()
    dtype = torch.float64 if spec.flatten(like).device.type != "mps" else torch.float32
    start = build_grid(process, steps, init, 1, spec.flatten(like).device)[0]
    rho = torch.log(process.sigma(start) / process.alpha(start))
    span = rho[0] - rho[-1]
    theta = torch.log((rho[:-1] - rho[1:]) / span).clone().requires_grad_(True)

    def grid_of(th: Tensor) -> Tensor:
        inc = torch.softmax(th, 0) * span
        r = torch.cat([rho[:1], rho[0] - torch.cumsum(inc, 0)])
        g = process.t_of_noise_ratio(torch.exp(r))
        return torch.cat([start[:1], g[1:-1], start[-1:]])

    pilot_spec = StateSpec(spec.leaves, spec.is_tensor)

    def run(x: State, g: Tensor, how: Solver = method) -> Tensor:
        out, info = integrate(denoiser, process, x, how, None, g, pilot_spec, cond=cond)
        cost.nfe += info.nfe
        return pilot_spec.flatten(out)

    train, held = (_pilot(process, spec, like, n_pilot, seed + k, dtype) for k in (0, 1))
    with torch.no_grad():
        reference = get_solver("rk45", rtol=reference_rtol, atol=reference_rtol)
        ref_train, ref_held = (run(x, start, reference) for x in (train, held))
    opt = torch.optim.Adam([theta], lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        loss = (run(train, grid_of(theta)) - ref_train).pow(2).sum(1).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        tuned = grid_of(theta)
        err_tuned = float((run(held, tuned) - ref_held).pow(2).sum(1).mean())
        err_start = float((run(held, start) - ref_held).pow(2).sum(1).mean())
    best = tuned if err_tuned < err_start else start
    return TunedGrid(best.detach(), min(err_tuned, err_start), err_start, cost)
