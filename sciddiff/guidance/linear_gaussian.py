"""Solves with linear operators and Gaussian noise: through the SVD when it exists, else conjugate gradient.

With A = U diag(s) V^T and Sigma_y = sigma_y^2 I, both systems below are diagonal in the singular bases.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from sciddiff.guidance.cg import conjugate_gradient
from sciddiff.guidance.observation import Observation


def _spectral(obs: Observation) -> bool:
    return bool(getattr(obs.operator, "has_svd", False)) and obs.noise_kind == "scalar"


def _padded(s: Tensor, n: int) -> Tensor:
    return torch.cat([s, s.new_zeros(n - s.shape[0])]) if s.shape[0] < n else s[:n]


class CGWarnings:
    """Collects conjugate-gradient convergence problems as warnings (not errors)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, rel: Tensor, what: str, threshold: float = 1e-2) -> None:
        worst = float(rel.detach().max())
        if worst > threshold and len(self.messages) < 1:
            msg = f"conjugate gradient for {what} stopped at relative residual {worst:.2e} (> {threshold:g})"
            self.messages.append(msg)
            warnings.warn(msg, RuntimeWarning, stacklevel=3)


def solve_data_space(obs: Observation, r2: Tensor, rhs: Tensor, cg_iter: int, log: CGWarnings) -> Tensor:
    """w = (Sigma_y + r2 A A^T)^-1 rhs for per-sample r2 (B,); rhs and w shaped (B, *out_shape)."""
    op, b = obs.operator, rhs.shape[0]
    if _spectral(obs):
        s = _padded(op.singular_values().to(rhs.dtype), op.out_dim)
        coef = op.u_t(rhs) / (obs.scalar_std**2 + r2.to(rhs.dtype).reshape(b, 1) * s**2)
        return op.u(coef)
    shape = rhs.shape

    def matvec(w: Tensor) -> Tensor:
        wf = w.reshape(shape)
        out = obs.covariance(wf) + r2.to(w.dtype).reshape(b, *([1] * (len(shape) - 1))) * op(op.adjoint(wf))
        return out.reshape(b, -1)

    res = conjugate_gradient(matvec, rhs.reshape(b, -1), cg_iter)
    log.check(res.relative_residual, "(Sigma_y + r^2 A A^T) w = r")
    return res.solution.reshape(shape)


def solve_prox(obs: Observation, r2: Tensor, d: Tensor, cg_iter: int, log: CGWarnings) -> Tensor:
    """argmin_x ||y - A x||^2_{Sigma_y^-1} / 2 + ||x - d||^2 / (2 r2), per sample; d shaped (B, *in_shape)."""
    op, b = obs.operator, d.shape[0]
    r2 = r2.to(d.dtype).reshape(b, 1)
    y = obs.y.unsqueeze(0).to(d.dtype).expand(b, *obs.y.shape)
    if _spectral(obs):
        var = obs.scalar_std**2
        s = _padded(op.singular_values().to(d.dtype), op.in_dim)
        y_bar = _padded_rows(op.u_t(y), op.in_dim)
        x_bar = (s * y_bar / var + op.v_t(d) / r2) / (s**2 / var + 1.0 / r2)
        return op.v(x_bar)
    shape = d.shape
    rhs = op.adjoint(obs.precision(y)).reshape(b, -1) + d.reshape(b, -1) / r2

    def matvec(v: Tensor) -> Tensor:
        vf = v.reshape(shape)
        return op.adjoint(obs.precision(op(vf))).reshape(b, -1) + v / r2

    res = conjugate_gradient(matvec, rhs, cg_iter)
    log.check(res.relative_residual, "the proximal data step")
    return res.solution.reshape(shape)


def _padded_rows(c: Tensor, n: int) -> Tensor:
    """First n columns of (B, m) coefficients, zero-padded when m < n."""
    if c.shape[1] >= n:
        return c[:, :n]
    return torch.cat([c, c.new_zeros(c.shape[0], n - c.shape[1])], dim=1)
