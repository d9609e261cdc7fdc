"""Euler and Heun in EDM's sigma space, with optional stochastic churn, for any process.

With y = x/alpha and s = sigma/alpha the probability-flow ODE reads dy/ds = (y - D)/s. Churn first raises the
noise to s_hat = s (1 + gamma) by adding fresh noise, gamma = min(S_churn/N, sqrt(2) - 1) for s in
[S_tmin, S_tmax]. Karras et al. (2022), arXiv:2206.00364, Algorithms 1-2.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.ddim import ddim_coefficients
from sciddiff.solvers.schedule import cast


class Euler(Solver):
    """First-order Euler steps in (y, s); ``steps`` evaluations. Without churn this equals DDIM (eta = 0)."""

    name = "euler"
    order = 1
    _second_order = False

    def __init__(self, churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0):
        if churn < 0 or s_noise < 0:
            raise ValueError(f"{self.name} needs churn >= 0 and s_noise >= 0, got {churn}, {s_noise}")
        self.churn, self.s_tmin, self.s_tmax, self.s_noise = float(churn), s_tmin, s_tmax, s_noise

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.churn > 0

    def nfe(self, steps: int) -> int:
        return 2 * steps - 1 if self._second_order else steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        if not self._second_order and not self.stochastic:  # plain Euler in sigma space is DDIM: x-space update
            c_x, c_d, _ = (cast(c, ctx.dtype) for c in ddim_coefficients(ctx.sched, 0.0))
            for i in ctx.steps(self.name):
                z = torch.addcmul(c_x[i] * z, c_d[i], ctx.denoise(z, i))
            return z
        sc = ctx.sched
        n = sc.steps
        s = sc.s
        s_cur = s[:-1]
        active = (s_cur >= self.s_tmin) & (s_cur <= self.s_tmax)
        gamma = torch.where(active, torch.full_like(s_cur, min(self.churn / n, math.sqrt(2.0) - 1.0)), 0.0)
        s_cap = torch.exp(-0.5 * sc.process.log_snr(torch.tensor(sc.process.t_max, dtype=s.dtype)))
        s_hat = torch.minimum(s_cur * (1.0 + gamma), s_cap.to(s.device))
        s_hat = torch.where(gamma > 0, s_hat, s_cur)
        t_hat = torch.where(gamma > 0, sc.t_at_s(s_hat), sc.t[:-1])
        a_hat = torch.where(gamma > 0, sc.process.alpha(t_hat), sc.alpha[:-1])
        c_noise = self.s_noise * torch.sqrt((s_hat**2 - s_cur**2).clamp_min(0.0))
        ds = s[1:] - s_hat
        t_hat_w = t_hat.to(ctx.dtype)
        s_hat, s_next, ds, a_hat, c_noise, a = (
            cast(c, ctx.dtype) for c in (s_hat, s[1:], ds, a_hat, c_noise, sc.alpha)
        )
        y = z / a[0]
        for i in ctx.steps(self.name):
            if self.stochastic:
                y = y + c_noise[i] * ctx.noise()
            d = (y - ctx.model(a_hat[i] * y, t_hat_w[i], step=i)) / s_hat[i]
            y_next = y + ds[i] * d
            if self._second_order and i < n - 1:
                d2 = (y_next - ctx.denoise(a[i + 1] * y_next, i + 1)) / s_next[i]
                y_next = y + ds[i] * 0.5 * (d + d2)
            y = y_next
        return a[-1] * y


class Heun(Euler):
    """Heun's second-order method in (y, s) with a final Euler step: 2 * steps - 1 evaluations."""

    name = "heun"
    order = 2
    _second_order = True
