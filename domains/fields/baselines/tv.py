"""Total-variation regularised reconstruction min_x 0.5 ||A x - y||^2 + lam TV(x) by the primal-dual algorithm.

TV(x) = sum over pixels of |grad x| (isotropic; forward differences over the last two axes, zero across the
far edge). With K = (A, grad), the iteration of Chambolle & Pock, "A First-Order Primal-Dual Algorithm for
Convex Problems with Applications to Imaging", J. Math. Imaging Vis. 2011 (Algorithm 1, theta = 1):
p <- (p + s (A xb - y)) / (1 + s), q <- proj_{|q| <= lam}(q + s grad xb), x' <- prox_G(x - t (A^T p - div q)),
xb = 2 x' - x; steps s = t = 0.99 / ||K|| with ||K||^2 <= ||A||^2 + 8. G = 0, or the indicator of x >= 0.
"""

from __future__ import annotations

import torch
from sciddiff.domains.fields.baselines.common import batched_observation, operator_norm, unbatch
from torch import Tensor

from sciddiff.operators import LinearOperator


def gradient(x: Tensor) -> Tensor:
    """Forward differences over the last two axes, stacked on a new axis -3: (..., 2, H, W)."""
    dy = torch.zeros_like(x)
    dx = torch.zeros_like(x)
    dy[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    dx[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    return torch.stack([dy, dx], dim=-3)


def divergence(q: Tensor) -> Tensor:
    """The negative adjoint of :func:`gradient`: <grad x, q> = -<x, div q>."""
    qy, qx = q[..., 0, :, :], q[..., 1, :, :]
    out = torch.zeros_like(qy)
    out[..., :-1, :] += qy[..., :-1, :]
    out[..., 1:, :] -= qy[..., :-1, :]
    out[..., :, :-1] += qx[..., :, :-1]
    out[..., :, 1:] -= qx[..., :, :-1]
    return out


def total_variation(x: Tensor) -> Tensor:
    """Isotropic TV per sample of a (B, ..., H, W) batch."""
    g = gradient(x)
    return g.square().sum(-3).sqrt().reshape(x.shape[0], -1).sum(1)


def tv_reconstruct(
    op: LinearOperator,
    y: Tensor,
    lam: float,
    n_iter: int = 500,
    nonnegative: bool = False,
    x0: Tensor | None = None,
) -> Tensor:
    """The TV-regularised reconstruction after ``n_iter`` primal-dual steps, started from x0 (default A^T y /
    ||A||^2); the operator's input must end in two image axes."""
    if not isinstance(op, LinearOperator):
        raise ValueError(f"TV reconstruction needs a linear operator with an adjoint, got {op!r}")
    if len(op.in_shape) < 2:
        raise ValueError(f"TV needs images: the operator's input shape {op.in_shape} has fewer than 2 axes")
    if lam < 0 or n_iter < 0:
        raise ValueError(f"need lam >= 0 and n_iter >= 0, got lam={lam}, n_iter={n_iter}")
    yb, single = batched_observation(op, y)
    yb = yb.to(torch.float64) if not yb.is_floating_point() else yb
    norm_a = operator_norm(op, dtype=yb.dtype) * 1.01
    step = 0.99 / (norm_a**2 + 8.0) ** 0.5
    x = op.adjoint(yb) / max(norm_a**2, 1e-30) if x0 is None else torch.as_tensor(x0, dtype=yb.dtype).clone()
    if tuple(x.shape) == op.in_shape:
        x = x.expand(yb.shape[0], *op.in_shape).clone()
    op.check_input(x, "x0")
    if nonnegative:
        x = x.clamp_min(0)
    xbar = x.clone()
    p = torch.zeros_like(yb)
    q = torch.zeros_like(gradient(x))
    for _ in range(n_iter):
        p = (p + step * (op.forward(xbar) - yb)) / (1 + step)
        q = q + step * gradient(xbar)
        q = q / torch.clamp(q.square().sum(-3, keepdim=True).sqrt() / lam, min=1.0) if lam > 0 else torch.zeros_like(q)
        x_new = x - step * (op.adjoint(p) - divergence(q))
        if nonnegative:
            x_new = x_new.clamp_min(0)
        xbar = 2 * x_new - x
        x = x_new
    return unbatch(x, single)
