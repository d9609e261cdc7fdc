"""Adaptive probability-flow solver: Dormand-Prince 5(4) with error control per sample."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.dopri5 import dopri5


class RK45(Solver):
    """Integrates dy/d(log s) = y - D(alpha y, t) in y = x/alpha from the first to the last grid time, with
    per-sample steps chosen for the tolerances ``rtol``/``atol`` (RMS norm over the sample's masked entries).
    ``steps`` is ignored; the evaluation count is reported in the info. Song et al. (2021) used RK45 for the
    probability-flow ODE, arXiv:2011.13456.
    """

    name = "rk45"
    order = 5

    def __init__(self, rtol: float = 1e-5, atol: float = 1e-5, max_iterations: int = 10_000) -> None:
        if not (rtol > 0 and atol > 0):
            raise ValueError(f"rk45 needs rtol > 0 and atol > 0, got rtol={rtol}, atol={atol}")
        self.rtol, self.atol, self.max_iterations = rtol, atol, max_iterations
        self.stats = None

    def nfe(self, steps: int) -> None:
        return None

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc, model = ctx.sched, ctx.model
        process = sc.process
        b = z.shape[0]
        rho0 = torch.log(sc.s[0]).expand(b)
        rho1 = torch.log(sc.s[-1]).expand(b)
        calls = [0]

        def rhs(y: Tensor, rho: Tensor) -> Tensor:
            t = process.t_of_noise_ratio(torch.exp(rho))
            alpha = process.alpha(t).to(y.dtype).unsqueeze(1)
            calls[0] += 1
            return y - model(alpha * y, t.to(y.dtype), step=calls[0] - 1)

        spec = model.spec
        dim = spec.dim(spec.unflatten(z, like=model.like)).to(z.dtype).clamp_min(1.0)

        def norm(v: Tensor) -> Tensor:
            return (spec.inner_flat(v, v) / dim).sqrt()

        a0 = sc.alpha[0].to(z.dtype).expand(b).unsqueeze(1)
        y, self.stats = dopri5(rhs, z / a0, rho0, rho1, self.rtol, self.atol, norm, self.max_iterations)
        return sc.alpha[-1].to(z.dtype).expand(b).unsqueeze(1) * y
