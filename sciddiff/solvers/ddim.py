"""DDIM (with eta) and DDPM ancestral sampling, for any process."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.schedule import Schedule, cast


def ddim_coefficients(sc: Schedule, eta: float) -> tuple[Tensor, Tensor, Tensor]:
    """Per-step (c_x, c_d, c_noise), float64, shape (N, B|1): x_next = c_x x + c_d D + c_noise z."""
    a_c, s_c, a_n, s_n = sc.alpha[:-1], sc.sigma[:-1], sc.alpha[1:], sc.sigma[1:]
    c_noise = eta * s_n * torch.sqrt(-torch.expm1(-2.0 * sc.h))
    c_x = torch.sqrt((s_n**2 - c_noise**2).clamp_min(0.0)) / s_c
    return c_x, a_n - c_x * a_c, c_noise


class DDIM(Solver):
    """x_next = alpha' D + sqrt(sigma'^2 - c^2) eps_hat + c z, with c = eta sigma' sqrt(1 - e^{-2h}).

    eps_hat = (x - alpha D)/sigma and h the half log-SNR increment. eta = 0 is deterministic DDIM (identical to
    Euler in EDM's sigma space); eta = 1 is DDPM ancestral sampling. Song, Meng & Ermon, "Denoising Diffusion
    Implicit Models" (2020), arXiv:2010.02502. Order 1; ``steps`` evaluations.
    """

    name = "ddim"
    order = 1

    def __init__(self, eta: float = 0.0) -> None:
        if not eta >= 0:
            raise ValueError(f"ddim needs eta >= 0, got {eta}")
        self.eta = float(eta)

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.eta > 0

    def nfe(self, steps: int) -> int:
        return steps

    def run(self, ctx: Context, z: Tensor) -> Tensor:
        c_x, c_d, c_noise = (cast(c, ctx.dtype) for c in ddim_coefficients(ctx.sched, self.eta))
        for i in ctx.steps(self.name):
            z = torch.addcmul(c_x[i] * z, c_d[i], ctx.denoise(z, i))
            if self.stochastic:
                z = z + c_noise[i] * ctx.noise()
        return z


class DDPM(DDIM):
    """DDPM ancestral sampling: each step draws from q(x_next | x_t, x0 = D(x_t)), i.e. DDIM with eta = 1.

    Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models" (2020), arXiv:2006.11239.
    """

    name = "ddpm"

    def __init__(self) -> None:
        super().__init__(eta=1.0)
