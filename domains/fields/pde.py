"""The Darcy residual -div(a grad u) - f in torch (differentiable), with the finite-difference stencil of the solver.

At each interior node, r = sum over the four faces of a_face (u_node - u_neighbour) / h^2 - f, with the face
coefficient the harmonic mean of its two nodes and h = 1 / (size - 1), exactly the rows of
:func:`sciddiff.domains.fields.simulators.darcy_matrix` (whose boundary neighbours are u = 0), so r vanishes to
rounding for the solver's own solutions. Used as a physics term in the spirit of Huang et al., "DiffusionPDE:
Generative PDE-Solving Under Partial Observation" (2024), arXiv:2406.17763.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.operators import Differentiable

STENCIL = ((0, 1), (0, -1), (1, 0), (-1, 0))  # the four faces of an interior node


def neighbour(x: Tensor, di: int, dj: int) -> Tensor:
    """The (B, n - 2, n - 2) values of a (B, n, n) grid at the neighbours (+di, +dj) of the interior nodes."""
    n = x.shape[-1]
    return x[:, 1 + di : n - 1 + di, 1 + dj : n - 1 + dj]


def darcy_residual(a: Tensor, u: Tensor, f: float = 1.0) -> Tensor:
    """(B, size - 2, size - 2) residual -div(a grad u) - f at the interior nodes of (B, size, size) fields a, u
    (u's boundary values enter through the neighbours of the first interior ring)."""
    if a.shape != u.shape or a.dim() != 3 or a.shape[-1] != a.shape[-2] or a.shape[-1] < 3:
        raise ValueError(
            f"the Darcy residual needs a and u as (B, size, size) grids with size >= 3, got {tuple(a.shape)} "
            f"and {tuple(u.shape)}"
        )
    h2 = (1.0 / (a.shape[-1] - 1)) ** 2
    centre_a, centre_u = a[:, 1:-1, 1:-1], u[:, 1:-1, 1:-1]
    total = torch.zeros_like(centre_u)
    for di, dj in STENCIL:
        na, nu = neighbour(a, di, dj), neighbour(u, di, dj)
        total = total + 2 * centre_a * na / (centre_a + na) * (centre_u - nu)
    return total / h2 - f


def darcy_residual_operator(
    size: int, weight: float = 1.0, f: float = 1.0, channels: tuple[int, int] = (0, 1), a_min: float = 0.5
) -> Differentiable:
    """The map (B, C, size, size) fields -> weight * darcy_residual(max(x[:, a], a_min), x[:, u]) flattened, as a
    :class:`Differentiable` operator; observing it as 0 with noise std s imposes the PDE with tolerance s / weight.
    The floor ``a_min`` keeps the harmonic means finite for the rough coefficients of early denoiser estimates
    (the data's coefficients, 3 and 12, are untouched)."""
    if not weight > 0:
        raise ValueError(f"the PDE residual weight must be > 0, got {weight}")
    ia, iu = channels
    n_channels = max(ia, iu) + 1

    def residual(x: Tensor) -> Tensor:
        return weight * darcy_residual(x[:, ia].clamp_min(a_min), x[:, iu], f).reshape(x.shape[0], -1)

    return Differentiable(residual, (n_channels, size, size), ((size - 2) ** 2,), name=f"darcy residual x {weight:g}")
