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
    x <- x + e score + sqrt(2 e) z.

    ``step_size="sigma"`` (default) uses e = 2 (snr sigma_t)^2, the value Song et al.'s rule takes when the score
    has its high-noise size |score| ~ sqrt(d)/sigma_t; it keeps each step affine, so runs are batch invariant and
    never take huge steps where the score vanishes between modes. ``step_size="norm_ratio"`` is the paper's rule
    e = 2 (snr |z| / |score|)^2 per sample. Song et al. (2021), arXiv:2011.13456, Algorithms 2-3.
    ``steps * (1 + n_corrector)`` evaluations.
    """

    name = "pc"
    order = 1
    stochastic = True

    def __init__(self, snr: float = 0.16, n_corrector: int = 1, step_size: str = "sigma") -> None:
        if not snr > 0 or n_corrector < 1:
            raise ValueError(f"pc needs snr > 0 and n_corrector >= 1, got snr={snr}, n_corrector={n_corrector}")
        if step_size not in ("sigma", "norm_ratio"):
            raise ValueError(f"pc step_size must be 'sigma' or 'norm_ratio', got {step_size!r}")
        self.snr, self.n_corrector, self.step_size = float(snr), int(n_corrector), step_size

    def nfe(self, steps: int) -> int:
        return steps * (1 + self.n_corrector)

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        sc = ctx.sched
        c_x, c_d, c_n = _em_coefficients(ctx)
        a, s2 = cast(sc.alpha, ctx.dtype), cast(sc.sigma**2, ctx.dtype)
        fixed = 2.0 * self.snr**2 * s2
        norm = ctx.model.spec.norm_flat
        for i in ctx.steps(self.name):
            z = c_x[i] * z + c_d[i] * ctx.denoise(z, i) + c_n[i] * ctx.noise()
            for _ in range(self.n_corrector):
                score = (a[i + 1] * ctx.denoise(z, i + 1) - z) / s2[i + 1]
                noise = ctx.noise()
                if self.step_size == "sigma":
                    step = fixed[i + 1]
                else:
                    ratio = norm(noise) / norm(score).clamp_min(torch.finfo(z.dtype).tiny)
                    step = (2.0 * (self.snr * ratio) ** 2).unsqueeze(-1)
                z = z + step * score + torch.sqrt(2.0 * step) * noise
        return z
