"""Reverse-SDE samplers: Euler-Maruyama and predictor-corrector with a Langevin corrector."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.schedule import cast


def _em_coefficients(ctx: Context) -> tuple[Tensor, Tensor, Tensor]:
    """Euler-Maruyama on dx = (f x - g^2 score) dt + g dW with score = (alpha D - x)/sigma^2, per step:
    x' = c_x x + c_d D + c_n z."""
    sc = ctx.sched
    f, g2 = sc.process.drift_diffusion(sc.t[:-1])
    dt = sc.t[1:] - sc.t[:-1]
    a, s2 = sc.alpha[:-1], sc.sigma[:-1] ** 2
    c_x = 1.0 + (f + g2 / s2) * dt
    c_d = -g2 * a / s2 * dt
    c_n = torch.sqrt(g2.clamp_min(0.0) * -dt)
    return tuple(cast(c, ctx.dtype) for c in (c_x, c_d, c_n))  # type: ignore[return-value]


class EulerMaruyama(Solver):
    """Euler-Maruyama on the reverse-time SDE in t. Song et al. (2021), arXiv:2011.13456. Weak order 1;
    ``steps`` evaluations."""

    name = "em"
    order = 1
    stochastic = True

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        c_x, c_d, c_n = _em_coefficients(ctx)
        for i in ctx.steps(self.name):
            z = c_x[i] * z + c_d[i] * ctx.denoise(z, i) + c_n[i] * ctx.noise()
        return z


class PredictorCorrector(Solver):
    """Euler-Maruyama predictor, then ``n_corrector`` Langevin corrector steps at each new time:
    x <- x + e score + sqrt(2 e) z with e = 2 (snr |z| / |score|)^2 per sample.
    Song et al. (2021), arXiv:2011.13456, Algorithms 2-3. ``steps * (1 + n_corrector)`` evaluations.
    """

    name = "pc"
    order = 1
    stochastic = True

    def __init__(self, snr: float = 0.16, n_corrector: int = 1) -> None:
        if not snr > 0 or n_corrector < 1:
            raise ValueError(f"pc needs snr > 0 and n_corrector >= 1, got snr={snr}, n_corrector={n_corrector}")
        self.snr, self.n_corrector = float(snr), int(n_corrector)

    def nfe(self, steps: int) -> int:
        return steps * (1 + self.n_corrector)

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        c_x, c_d, c_n = _em_coefficients(ctx)
        a, s2 = cast(sc.alpha, ctx.dtype), cast(sc.sigma**2, ctx.dtype)
        norm = ctx.model.spec.norm_flat
        for i in ctx.steps(self.name):
            z = c_x[i] * z + c_d[i] * ctx.denoise(z, i) + c_n[i] * ctx.noise()
            for _ in range(self.n_corrector):
                score = (a[i + 1] * ctx.denoise(z, i + 1) - z) / s2[i + 1]
                noise = ctx.noise()
                ratio = norm(noise) / norm(score).clamp_min(torch.finfo(z.dtype).tiny)
                step = (2.0 * (self.snr * ratio) ** 2).unsqueeze(-1)
                z = z + step * score + torch.sqrt(2.0 * step) * noise
        return z
