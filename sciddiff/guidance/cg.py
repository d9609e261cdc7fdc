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


def conjugate_gradient(matvec: Callable[[Tensor], Tensor], b: Tensor, max_iter: int, rtol: float = 1e-6) -> CGResult:
    """Solve M u = b for every row of b (B, n), M symmetric positive definite, given only u -> M u.

    Stops after ``max_iter`` iterations or when every row's residual is below ``rtol`` times its |b|.
    Hestenes & Stiefel, "Methods of conjugate gradients for solving linear systems" (1952).
    """
    u = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum(1, keepdim=True)
    b_norm = b.norm(dim=1).clamp_min(torch.finfo(b.dtype).tiny)
    tiny = torch.finfo(b.dtype).tiny
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        mp = matvec(p)
        alpha = rs / (p * mp).sum(1, keepdim=True).clamp_min(tiny)
        u = u + alpha * p
        r = r - alpha * mp
        rs_new = (r * r).sum(1, keepdim=True)
        if bool((rs_new.sqrt().squeeze(1) <= rtol * b_norm).all()):
            rs = rs_new
            break
        p = r + (rs_new / rs.clamp_min(tiny)) * p
        rs = rs_new
    return CGResult(u, iterations, rs.sqrt().squeeze(1) / b_norm)
