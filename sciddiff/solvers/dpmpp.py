"""DPM-Solver++ multistep solvers (2M and 3M) in data prediction, for any process.

x_{i+1} = (sigma_{i+1}/sigma_i) x_i + alpha_{i+1} int_0^h e^{u-h} D du, with D extrapolated from past steps.
Lu et al., "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models" (2022),
arXiv:2211.01095.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.exponential import adams_weights
from sciddiff.solvers.schedule import cast


class DPMSolver2M(Solver):
    """DPM-Solver++(2M), the paper's Algorithm 2: D_corr = (1 + 1/2r) D_i - (1/2r) D_{i-1}, r = h_{i-1}/h_i.

    The first step is first order, which keeps global order 2. ``steps`` evaluations.
    """

    name = "dpmpp_2m"
    order = 2

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        h = sc.h
        phi = sc.alpha[1:] * -torch.expm1(-h)
        r = torch.cat([torch.ones_like(h[:1]), h[:-1] / h[1:]])
        first = torch.zeros_like(h, dtype=torch.bool)
        first[0] = True
        c_d = torch.where(first, phi, phi * (1.0 + 0.5 / r))
        c_prev = torch.where(first, torch.zeros_like(phi), -phi * 0.5 / r)
        c_x, c_d, c_prev = (cast(c, ctx.dtype) for c in (sc.sigma[1:] / sc.sigma[:-1], c_d, c_prev))
        d_prev = None
        for i in ctx.steps(self.name):
            d = ctx.denoise(z, i)
            z = torch.addcmul(c_x[i] * z, c_d[i], d)
            if d_prev is not None:
                z = torch.addcmul(z, c_prev[i], d_prev)
            d_prev = d
        return z


class DPMSolver3M(Solver):
    """DPM-Solver++(3M): exact exponential quadrature of the quadratic through the last three D's.

    ``warmup="singlestep"`` (default) takes the first step with the second-order singlestep DPM-Solver++(2S)
    (midpoint in log-SNR, one extra evaluation) and the second with 2M, so the start keeps global order 3:
    ``steps + 1`` evaluations. ``warmup="multistep"`` starts with orders 1 and 2 instead (``steps``
    evaluations, global order 2), as diffusers does.
    """

    name = "dpmpp_3m"
    order = 3

    def __init__(self, warmup: str = "singlestep") -> None:
        if warmup not in ("singlestep", "multistep"):
            raise ValueError(f"dpmpp_3m warmup must be 'singlestep' or 'multistep', got {warmup!r}")
        self.warmup = warmup

    def nfe(self, steps: int) -> int:
        return steps + 1 if self.warmup == "singlestep" else steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        h, lam = sc.h, sc.lam
        c_x = cast(sc.sigma[1:] / sc.sigma[:-1], ctx.dtype)
        coefs = [cast(sc.alpha[i + 1].unsqueeze(-1) * w, ctx.dtype) for i, w in enumerate(adams_weights(lam, 3, False))]
        if self.warmup == "singlestep":
            lam_mid = lam[0] + 0.5 * h[0]
            t_mid = sc.t_at_lam(lam_mid)
            a_mid, s_mid = sc.process.alpha_sigma(t_mid)
            mid_x = cast(s_mid / sc.sigma[0], ctx.dtype)
            mid_d = cast(a_mid * -torch.expm1(-0.5 * h[0]), ctx.dtype)
            end_d = cast(sc.alpha[1] * -torch.expm1(-h[0]), ctx.dtype)
            t_mid = t_mid.to(ctx.dtype)
        history: list[Tensor] = []
        for i in ctx.steps(self.name):
            d = ctx.denoise(z, i)
            history = [d, *history[:2]]
            if i == 0 and self.warmup == "singlestep":
                u = mid_x * z + mid_d * d
                z = c_x[0] * z + end_d * ctx.model(u, t_mid, step=0)
                continue
            z = c_x[i] * z + sum(coefs[i][:, j] * history[j] for j in range(coefs[i].shape[1]))
        return z
