"""The Darcy solve a -> u(a) as a differentiable torch function, by the adjoint method.

u solves A(a) u = f with A(a) the finite-difference matrix of :func:`sciddiff.domains.fields.simulators.darcy_matrix`
(symmetric: every face enters its two rows with the same harmonic-mean weight). Differentiating the residual
r(a, u) = A(a) u - f = 0 gives

    du = -A^-1 (dr/da) da                    (tangent: one extra solve per direction),
    dL/da = -(dr/da)^T lambda,  A lambda = dL/du   (adjoint: one extra solve per cotangent),

A being symmetric, the adjoint solve uses A itself. The partial dr/da is written out in closed form (the
harmonic mean h(p, q) = 2 p q / (p + q) has dh/dp = 2 q^2 / (p + q)^2), on the stencil of
:func:`sciddiff.domains.fields.pde.darcy_residual`, so the solve composes with ``torch.autograd`` and
``torch.func`` alike. :func:`darcy_solution_sensors` makes it an operator: sensors of u(a), for posterior
sampling of the coefficient with the PDE held exactly. The adjoint method for PDE-constrained inverse problems:
Plessix, "A review of the adjoint-state method for computing the gradient of a functional with
geophysical applications" (2006), Geophys. J. Int. 167(2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse.linalg
import torch
from sciddiff.domains.fields.pde import STENCIL, neighbour
from sciddiff.domains.fields.simulators.darcy import darcy_matrix
from torch import Tensor

from sciddiff.operators import Differentiable


def residual_tangent(a: Tensor, u: Tensor, da: Tensor) -> Tensor:
    """(dr/da) da at (a, u): (B, n - 2, n - 2) for (B, n, n) grids."""
    h2 = (1.0 / (a.shape[-1] - 1)) ** 2
    ac, uc, dac = a[:, 1:-1, 1:-1], u[:, 1:-1, 1:-1], da[:, 1:-1, 1:-1]
    out = torch.zeros_like(uc)
    for di, dj in STENCIL:
        an, un, dan = neighbour(a, di, dj), neighbour(u, di, dj), neighbour(da, di, dj)
        s = (ac + an) ** 2
        out = out + (2 * an**2 / s * dac + 2 * ac**2 / s * dan) * (uc - un)
    return out / h2


def residual_cotangent(a: Tensor, u: Tensor, lam: Tensor) -> Tensor:
    """(dr/da)^T lam at (a, u): (B, n, n) for (B, n, n) grids and an interior cotangent lam (B, n - 2, n - 2)."""
    n = a.shape[-1]
    h2 = (1.0 / (n - 1)) ** 2
    ac, uc = a[:, 1:-1, 1:-1], u[:, 1:-1, 1:-1]
    grad = torch.zeros_like(a)
    for di, dj in STENCIL:
        an, un = neighbour(a, di, dj), neighbour(u, di, dj)
        s, flux = (ac + an) ** 2, lam * (uc - un) / h2
        grad[:, 1:-1, 1:-1] += 2 * an**2 / s * flux  # through the centre node's coefficient
        grad[:, 1 + di : n - 1 + di, 1 + dj : n - 1 + dj] += 2 * ac**2 / s * flux  # through the neighbour's
    return grad


def _flat(x: Tensor) -> np.ndarray:
    return x.detach().cpu().double().numpy().reshape(x.shape[0], -1)


class _LinearSolve(torch.autograd.Function):
    """(a (B, n, n), b (B, (n - 2)^2)) -> x = A(a)^-1 b (B, (n - 2)^2). Every scipy call happens in ``forward``
    (where torch.func hands over plain tensors); the derivatives are torch expressions and further solves:
    b_bar = A^-1 x_bar, a_bar = -(dr/da)^T b_bar (A symmetric), dx = A^-1 (db - (dr/da) da)."""

    @staticmethod
    def forward(a: Tensor, b: Tensor) -> Tensor:  # type: ignore[override]
        mats, rhs = a.detach().cpu().double().numpy(), _flat(b)
        x = [scipy.sparse.linalg.spsolve(darcy_matrix(m).tocsc(), r) for m, r in zip(mats, rhs, strict=True)]
        return torch.as_tensor(np.stack(x)).to(b)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, Tensor], output: Tensor) -> None:
        ctx.save_for_backward(inputs[0], output)
        ctx.save_for_forward(inputs[0], output)

    @staticmethod
    def backward(ctx: Any, x_bar: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        a, x = ctx.saved_tensors
        b_bar = _LinearSolve.apply(a, x_bar)
        return -residual_cotangent(a, _grid(x, a), _square(b_bar, a)), b_bar

    @staticmethod
    def jvp(ctx: Any, da: Tensor, db: Tensor) -> Tensor:  # type: ignore[override]
        a, x = ctx.saved_tensors
        return _LinearSolve.apply(a, db - residual_tangent(a, _grid(x, a), da).reshape(db.shape))


def _square(v: Tensor, a: Tensor) -> Tensor:
    """Interior values (B, (n - 2)^2) as (B, n - 2, n - 2)."""
    return v.reshape(a.shape[0], a.shape[-1] - 2, a.shape[-1] - 2)


def _grid(v: Tensor, a: Tensor) -> Tensor:
    """Interior values (B, (n - 2)^2) on the (B, n, n) grid, zero on the boundary."""
    return torch.nn.functional.pad(_square(v, a), (1, 1, 1, 1))


def solve_darcy_torch(a: Tensor, f: float = 1.0) -> Tensor:
    """u(a) for (B, n, n) (or (n, n)) positive coefficients a, solving -div(a grad u) = f with u = 0 on the
    boundary by the same finite differences as :func:`sciddiff.domains.fields.simulators.solve_darcy`;
    differentiable in a (adjoint backward, tangent forward mode)."""
    if a.dim() not in (2, 3) or a.shape[-1] != a.shape[-2] or a.shape[-1] < 3:
        raise ValueError(
            f"the Darcy coefficient must be (size, size) or (B, size, size), size >= 3; got {tuple(a.shape)}"
        )
    batch = a if a.dim() == 3 else a[None]
    rhs = torch.full((batch.shape[0], (a.shape[-1] - 2) ** 2), float(f), dtype=a.dtype, device=a.device)
    u = _grid(_LinearSolve.apply(batch, rhs), batch)
    return u if a.dim() == 3 else u[0]


def darcy_solution_sensors(
    size: int, sensors: Tensor, f: float = 1.0, a_min: float = 0.5, channel: int = 0, n_channels: int = 2
) -> Differentiable:
    """The map (B, C, size, size) fields -> u(max(x[:, channel], a_min)) at the ``sensors`` (a (size, size)
    boolean map), u solved from the coefficient alone: observing the solution through the PDE (the field's own u
    channel is not used). The floor ``a_min`` keeps early denoiser estimates of a inside the solver's domain."""
    sensors = torch.as_tensor(sensors, dtype=torch.bool)
    if tuple(sensors.shape) != (size, size):
        raise ValueError(f"the sensor map has shape {tuple(sensors.shape)}; the Darcy grid is ({size}, {size})")
    if not a_min > 0:
        raise ValueError(f"the coefficient floor a_min must be > 0, got {a_min}")
    flat = sensors.reshape(-1).nonzero().squeeze(1)

    def observe(x: Tensor) -> Tensor:
        u = solve_darcy_torch(x[:, channel].clamp_min(a_min), f)
        return u.reshape(x.shape[0], -1)[:, flat]

    shape = (n_channels, size, size)
    return Differentiable(observe, shape, (len(flat),), name=f"u(a) at {len(flat)} sensors (FD solve, adjoint)")
