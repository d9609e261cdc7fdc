"""Tikhonov-regularised least squares by conjugate gradients on the normal equations, for any linear operator.

x = argmin ||A x - y||^2 + lam ||x - x0||^2, i.e. (A^T A + lam I) x = A^T y + lam x0. Tikhonov, "Solution of
Incorrectly Formulated Problems and the Regularization Method" (1963); Hestenes & Stiefel (1952).
"""

from __future__ import annotations

import torch
from sciddiff.domains.fields.baselines.common import batch_dot, batched_observation, unbatch
from torch import Tensor

from sciddiff.operators import LinearOperator


def tikhonov_cg(
    op: LinearOperator,
    y: Tensor,
    lam: float,
    x0: Tensor | None = None,
    tol: float = 1e-12,
    max_iter: int | None = None,
) -> Tensor:
    """The Tikhonov solution by CG (per sample, started from x0, default 0), stopping at ||residual|| <= tol ||A^T y + lam x0|| or after
    ``max_iter`` steps (default 2 in_dim)."""
    if not isinstance(op, LinearOperator):
        raise ValueError(f"Tikhonov CG needs a linear operator with an adjoint, got {op!r}")
    if lam < 0:
        raise ValueError(f"the Tikhonov weight must be >= 0, got {lam}")
    yb, single = batched_observation(op, y)
    batch = yb.shape[0]
    prior = yb.new_zeros(batch, *op.in_shape) if x0 is None else torch.as_tensor(x0, dtype=yb.dtype)
    if tuple(prior.shape) == op.in_shape:
        prior = prior.expand(batch, *op.in_shape)
    op.check_input(prior, "x0")
    if prior.shape[0] != batch:
        raise ValueError(f"x0 holds {prior.shape[0]} samples for {batch} observations")
    x = prior.clone()
    max_iter = 2 * op.in_dim if max_iter is None else max_iter
    view = (-1,) + (1,) * len(op.in_shape)

    def normal(v: Tensor) -> Tensor:
        return op.adjoint(op.forward(v)) + lam * v

    b = op.adjoint(yb) + lam * prior
    r = b - normal(x)
    p = r.clone()
    rs = batch_dot(r, r)
    target = tol**2 * batch_dot(b, b)
    for _ in range(max_iter):
        active = rs > target
        if not bool(active.any()):
            break
        q = normal(p)
        pq = batch_dot(p, q)
        ok = active & (pq > 0)
        alpha = torch.where(ok, rs / torch.where(ok, pq, torch.ones_like(pq)), torch.zeros_like(pq))
        x = x + alpha.reshape(view) * p
        r = r - alpha.reshape(view) * q
        rs_new = batch_dot(r, r)
        beta = torch.where(ok, rs_new / torch.where(ok, rs, torch.ones_like(rs)), torch.zeros_like(rs))
        p = torch.where(ok.reshape(view), r + beta.reshape(view) * p, p)
        rs = torch.where(ok, rs_new, torch.zeros_like(rs))
    return unbatch(x, single)
