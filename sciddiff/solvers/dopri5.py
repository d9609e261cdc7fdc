"""Dormand-Prince 5(4) with per-sample adaptive steps on batched states (B, n).

Every sample carries its own time, step size and error control; all samples are evaluated in one batched call
per stage, and finished samples take zero-length steps. Dormand & Prince, "A family of embedded Runge-Kutta
formulae" (1980); step-size control and initial step after Hairer, Norsett & Wanner, Solving ODEs I, II.4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
# fifth-order weights are the last row of _A; these are fifth minus embedded fourth order
_E = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)

Rhs = Callable[[Tensor, Tensor], Tensor]
"""``f(y, t) -> dy/dt`` for a batch: y (B, n), per-sample t (B,)."""


@dataclass
class Dopri5Stats:
    accepted: Tensor  # (B,) accepted steps per sample
    rejected: Tensor  # (B,) rejected steps per sample
    iterations: int


def _rms(v: Tensor) -> Tensor:
    return v.pow(2).mean(dim=1).sqrt()


def dopri5(
    f: Rhs,
    y0: Tensor,
    t0: Tensor,
    t1: Tensor,
    rtol: float,
    atol: float,
    norm: Callable[[Tensor], Tensor] = _rms,
    max_iterations: int = 10_000,
) -> tuple[Tensor, Dopri5Stats]:
    """Integrate y' = f(y, t) from t0 to t1 (each (B,), float64, either direction) to tolerance rtol/atol."""
    b = y0.shape[0]
    t = t0.to(torch.float64).expand(b).clone()
    t1 = t1.to(torch.float64).expand(b)
    direction = torch.sign(t1 - t)
    y, k1 = y0, f(y0, t)
    h = _initial_step(f, y, t, k1, direction, rtol, atol, norm, t1)
    accepted = torch.zeros(b, dtype=torch.long, device=y0.device)
    rejected = torch.zeros_like(accepted)
    span_tol = 1e-12 * (t1 - t0.to(torch.float64)).abs().clamp_min(1.0)
    active = (t1 - t).abs() > span_tol
    for it in range(max_iterations):
        if not bool(active.any()):
            return y, Dopri5Stats(accepted, rejected, it)
        h = torch.where(active, torch.minimum(h.abs(), (t1 - t).abs()) * direction, torch.zeros_like(h))
        hc = h.to(y.dtype).unsqueeze(1)
        ks = [k1]
        for stage in range(1, 7):
            y_stage = y + hc * sum(a * k for a, k in zip(_A[stage], ks, strict=False) if a != 0.0)
            ks.append(f(y_stage, t + _C[stage] * h))
        y_new = y_stage  # the last stage point is the fifth-order solution (FSAL)
        err = hc * sum(e * k for e, k in zip(_E, ks, strict=True) if e != 0.0)
        scale = atol + rtol * torch.maximum(y.abs(), y_new.abs())
        err_norm = norm(err / scale).detach()
        ok = active & (err_norm <= 1.0)
        y = torch.where(ok.unsqueeze(1), y_new, y)
        k1 = torch.where(ok.unsqueeze(1), ks[-1], k1)
        t = torch.where(ok, t + h, t)
        accepted = accepted + ok.long()
        rejected = rejected + (active & ~ok).long()
        factor = (0.9 * err_norm.clamp_min(1e-10) ** -0.2).clamp(0.2, 10.0)
        factor = torch.where(ok, factor, factor.clamp(max=1.0))
        h = torch.where(active, h * factor.to(h.dtype), h)
        active = active & ((t1 - t).abs() > span_tol)
    raise RuntimeError(f"dopri5 did not reach the end time within {max_iterations} iterations (rtol={rtol})")


def _initial_step(
    f: Rhs,
    y: Tensor,
    t: Tensor,
    k1: Tensor,
    direction: Tensor,
    rtol: float,
    atol: float,
    norm: Callable[[Tensor], Tensor],
    t1: Tensor,
) -> Tensor:
    """Hairer's starting step: h0 = 0.01 |y|/|f|, refined with one trial Euler step (one evaluation)."""
    scale = atol + rtol * y.abs()
    d0, d1 = norm(y / scale).detach(), norm(k1 / scale).detach()
    h0 = torch.where((d0 < 1e-5) | (d1 < 1e-5), torch.full_like(d0, 1e-6), 0.01 * d0 / d1).to(torch.float64)
    h0 = torch.minimum(h0, (t1 - t).abs())
    y1 = y + (h0 * direction).to(y.dtype).unsqueeze(1) * k1
    d2 = (norm((f(y1, t + h0 * direction) - k1) / scale).detach() / h0.to(y.dtype)).to(torch.float64)
    big = torch.maximum(d1.to(torch.float64), d2)
    h1 = torch.where(big <= 1e-15, torch.maximum(torch.full_like(h0, 1e-6), h0 * 1e-3), (0.01 / big) ** 0.2)
    return torch.minimum(100 * h0, h1) * direction
