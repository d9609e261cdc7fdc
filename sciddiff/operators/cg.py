"""Minimum-norm least squares by conjugate gradients on the normal equations (CGLS), batched per sample.

Started from zero, the iterates stay in the range of A^T, so CGLS converges to the pseudo-inverse solution
A^+ y. Hestenes & Stiefel, "Methods of Conjugate Gradients for Solving Linear Systems" (1952); Bjorck,
"Numerical Methods for Least Squares Problems" (1996), section 7.4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from sciddiff.operators.base import LinearOperator


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).reshape(a.shape[0], -1).sum(1)


def least_squares_cg(op: LinearOperator, y: Tensor, tol: float | None = None, max_iter: int | None = None) -> Tensor:
    """x minimising ||A x - y|| with minimum norm, for y of shape (B, *out_shape).

    Each sample stops once ||A^T (y - A x)|| <= tol * ||A^T y|| (default tol: 1000 eps of the dtype); at most
    ``max_iter`` iterations (default min(2 in_dim, 1000)).
    """
    if tol is None:
        tol = 1e3 * torch.finfo(y.dtype).eps
    if max_iter is None:
        max_iter = min(2 * op.in_dim, 1000)
    if tol < 0 or max_iter < 0:
        raise ValueError(f"CG needs tol >= 0 and max_iter >= 0, got tol={tol}, max_iter={max_iter}")
    batch = y.shape[0]
    view = (batch,) + (1,) * len(op.in_shape)
    r = y.clone()
    s = op.adjoint(r)
    x = torch.zeros_like(s)
    p = s.clone()
    gamma = _dot(s, s)
    target = tol**2 * gamma
    for _ in range(max_iter):
        active = gamma > target
        if not bool(active.any()):
            break
        q = op.forward(p)
        qq = _dot(q, q)
        ok = active & (qq > 0)
        alpha = torch.where(ok, gamma / torch.where(ok, qq, torch.ones_like(qq)), torch.zeros_like(qq))
        x = x + alpha.reshape(view) * p
        r = r - alpha.reshape((batch,) + (1,) * len(op.out_shape)) * q
        s = op.adjoint(r)
        gamma_new = _dot(s, s)
        beta = torch.where(ok, gamma_new / torch.where(ok, gamma, torch.ones_like(gamma)), torch.zeros_like(gamma))
        p = torch.where(ok.reshape(view), s + beta.reshape(view) * p, p)
        gamma = torch.where(ok, gamma_new, torch.zeros_like(gamma))
    return x
