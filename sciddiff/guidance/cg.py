"""Batched conjugate gradient for per-sample symmetric positive-definite systems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class CGResult:
    solution: Tensor  # (B, n)
    iterations: int
    relative_residual: Tensor  # (B,)


def conjugate_gradient(
    matvec: Callable[[Tensor], Tensor],
    b: Tensor,
    max_iter: int,
    rtol: float = 1e-6,
    floor: Callable[[Tensor], Tensor] | None = None,
) -> CGResult:
    """Solve M u = b for every row of b (B, n), M symmetric positive definite, given only u -> M u.

    Stops after ``max_iter`` iterations or when every row's residual is below ``rtol`` times its |b|. A row whose
    search direction meets curvature p^T M p at or below its known lower bound (0, or p^T F p when M = F + G with
    G positive semi-definite and ``floor(p)`` = F p given), or a non-finite one, keeps its last iterate and stops
    there, as truncated CG does: a learned denoiser's Jacobian can make G indefinite, and stepping by rs / p^T M p
    along such a direction is unbounded.
    Hestenes & Stiefel, "Methods of conjugate gradients for solving linear systems" (1952); the curvature stop as
    in Steihaug, "The conjugate gradient method and trust regions in large scale optimization" (1983).
    """
    u = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum(1, keepdim=True)
    b_norm = b.norm(dim=1).clamp_min(torch.finfo(b.dtype).tiny)
    tiny = torch.finfo(b.dtype).tiny
    active = torch.ones_like(rs, dtype=torch.bool)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        mp = matvec(p)
        curvature = (p * mp).sum(1, keepdim=True)
        bound = (p * floor(p)).sum(1, keepdim=True).clamp_min(0) if floor is not None else 0.0
        active = active & (curvature > bound) & torch.isfinite(curvature)
        alpha = torch.where(active, rs / curvature.clamp_min(tiny), torch.zeros_like(rs))
        u = u + alpha * p
        r = r - alpha * mp
        rs_new = (r * r).sum(1, keepdim=True)
        active = active & (rs_new.sqrt() > rtol * b_norm[:, None])
        if not bool(active.any()):
            rs = rs_new
            break
        p = torch.where(active, r + (rs_new / rs.clamp_min(tiny)) * p, p)
        rs = rs_new
    return CGResult(u, iterations, rs.sqrt().squeeze(1) / b_norm)
