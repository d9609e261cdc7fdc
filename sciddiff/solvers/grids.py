"""Time grids t_0 = t_max > t_1 > ... > t_N = t_min, built in float64.

A grid is given by name (``"karras"``, ``"uniform_t"``, ``"uniform_logsnr"``), by a callable
``(process, steps) -> Tensor``, or as a tensor of shape (steps+1,) or (B, steps+1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.processes import Process

_F64 = torch.float64


def _ends(process: Process) -> tuple[float, float]:
    lam = process.log_snr(torch.tensor([process.t_max, process.t_min], dtype=_F64))
    return float(lam[0]), float(lam[1])


def uniform_t(process: Process, steps: int) -> Tensor:
    """t uniform from t_max to t_min."""
    return torch.linspace(process.t_max, process.t_min, steps + 1, dtype=_F64)


def uniform_logsnr(process: Process, steps: int) -> Tensor:
    """log-SNR uniform between its values at t_max and t_min (DPM-Solver's 'logSNR' spacing)."""
    lo, hi = _ends(process)
    grid = process.t_of_log_snr(torch.linspace(lo, hi, steps + 1, dtype=_F64))
    return _pin_ends(grid, process)


@dataclass(frozen=True)
class Karras:
    """s_i = (s_max^(1/rho) + i/N (s_min^(1/rho) - s_max^(1/rho)))^rho on s = sigma/alpha, mapped back to t.

    Karras et al. (2022), arXiv:2206.00364, eq. (5); rho = 7 by default.
    """

    rho: float = 7.0

    def __call__(self, process: Process, steps: int) -> Tensor:
        lo, hi = _ends(process)
        s_max, s_min = math.exp(-0.5 * lo), math.exp(-0.5 * hi)
        ramp = torch.linspace(0.0, 1.0, steps + 1, dtype=_F64)
        inv = 1.0 / self.rho
        s = (s_max**inv + ramp * (s_min**inv - s_max**inv)) ** self.rho
        return _pin_ends(process.t_of_noise_ratio(s), process)


def _pin_ends(grid: Tensor, process: Process) -> Tensor:
    """Set the end points exactly to t_max and t_min (they come back from an inverse with round-off)."""
    grid = grid.clone()
    grid[0], grid[-1] = process.t_max, process.t_min
    return grid


GRIDS: dict[str, Callable[[Process, int], Tensor]] = {
    "karras": Karras(),
    "uniform_t": uniform_t,
    "uniform_logsnr": uniform_logsnr,
}


def build_grid(process: Process, steps: int | None, grid: object, batch: int, device: torch.device) -> Tensor:
    """Resolve ``grid`` into a float64 tensor of shape (1 or B, N+1) and validate it."""
    if isinstance(grid, Tensor):
        g = grid.detach().to(dtype=_F64, device=device) if not grid.requires_grad else grid.to(_F64).to(device)
        if g.dim() not in (1, 2) or g.shape[-1] < 2:
            raise ValueError(f"a grid tensor must have shape (steps+1,) or (B, steps+1); got {tuple(g.shape)}")
        if steps is not None and g.shape[-1] != steps + 1:
            raise ValueError(f"grid has {g.shape[-1] - 1} intervals but steps={steps}")
    else:
        if steps is None or not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        fn = GRIDS.get(grid) if isinstance(grid, str) else grid
        if fn is None or not callable(fn):
            raise ValueError(f"unknown grid {grid!r}; choose one of {sorted(GRIDS)}, a callable or a tensor")
        g = fn(process, steps).to(dtype=_F64, device=device)
    g = g.reshape(1, -1) if g.dim() == 1 else g
    if g.shape[0] not in (1, batch):
        raise ValueError(f"a per-sample grid needs {batch} rows (one per sample); got {g.shape[0]}")
    if not torch.isfinite(g).all():
        raise ValueError("the grid contains non-finite times")
    if not (g[:, 1:] < g[:, :-1]).all():
        raise ValueError("the grid must decrease strictly from the start time to the end time")
    process.check_time(g.detach(), what="grid times")
    return g
