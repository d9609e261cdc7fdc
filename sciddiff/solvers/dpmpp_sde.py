"""DPM-Solver++(2M) for the reverse SDE, for any process."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.schedule import cast


class DPMSolver2MSDE(Solver):
    """Stochastic 2M: with h_eta = (1 + eta) h,
    x' = (sigma'/sigma) e^{-eta h} x + alpha' (1 - e^{-h_eta}) D_corr + sigma' sqrt(1 - e^{-2 eta h}) z,
    D_corr = D_i + (D_i - D_{i-1}) / (2r). eta = 1 samples the reverse SDE (its first step is DDPM), eta = 0
    is the ODE solver 2M. Lu et al. (2022), arXiv:2211.01095. Weak order 1; ``steps`` evaluations.
    """

    name = "dpmpp_2m_sde"
    order = 1

    def __init__(self, eta: float = 1.0) -> None:
        if not eta >= 0:
            raise ValueError(f"dpmpp_2m_sde needs eta >= 0, got {eta}")
        self.eta = float(eta)

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.eta > 0

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        h = sc.h
        phi = sc.alpha[1:] * -torch.expm1(-(1.0 + self.eta) * h)
        r = torch.cat([torch.ones_like(h[:1]), h[:-1] / h[1:]])
        first = torch.zeros_like(h, dtype=torch.bool)
        first[0] = True
        c_d = torch.where(first, phi, phi * (1.0 + 0.5 / r))
        c_prev = torch.where(first, torch.zeros_like(phi), -phi * 0.5 / r)
        c_x = sc.sigma[1:] / sc.sigma[:-1] * torch.exp(-self.eta * h)
        c_noise = sc.sigma[1:] * torch.sqrt(-torch.expm1(-2.0 * self.eta * h))
        c_x, c_d, c_prev, c_noise = (cast(c, ctx.dtype) for c in (c_x, c_d, c_prev, c_noise))
        d_prev = None
        for i in ctx.steps(self.name):
            d = ctx.denoise(z, i)
            z = c_x[i] * z + c_d[i] * d
            if d_prev is not None:
                z = z + c_prev[i] * d_prev
            if self.stochastic:
                z = z + c_noise[i] * ctx.noise()
            d_prev = d
        return z
