"""Denoising diffusion restoration models (DDRM)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.loop import Loop
from sciddiff.guidance.spectral import Spectral


class DDRM(PosteriorSampler):
    """Sampling in the singular basis of A, with y = x/alpha at noise level s = sigma/alpha. Per coefficient,
    with x0 = V^T D, observed value y_i and its noise level n_i = sigma_y / s_i, a step s -> s' draws
      null space (s_i = 0): x0 + sqrt(1 - eta^2) s' (z - x0)/s + eta s' e
      s' < n_i:             x0 + sqrt(1 - eta^2) s' (y_i - x0)/n_i + eta s' e
      s' >= n_i:            (1 - eta_b) x0 + eta_b y_i + sqrt(s'^2 - eta_b^2 n_i^2) e.
    Kawar et al., "Denoising Diffusion Restoration Models" (2022), arXiv:2201.11793. Isotropic Gaussian noise and
    an operator with an SVD; one evaluation per step plus the final denoise.
    """

    name = "ddrm"
    requirements = Requirements(operator="svd", noise=("scalar",), zero_noise=True)

    def __init__(self, eta: float = 0.85, eta_b: float = 1.0) -> None:
        if not (0 <= eta <= 1 and 0 <= eta_b <= 1):
            raise ValueError(f"ddrm needs eta and eta_b in [0, 1], got {eta}, {eta_b}")
        self.eta, self.eta_b = eta, eta_b

    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        op = loop.obs.operator
        sp = Spectral.of(loop.obs, loop.dtype)
        eps = op.v_t(loop.x / loop.per_sample(loop.table("sigma")[0]))
        s0, _ = loop.levels(0)
        start_obs = sp.observed & (s0 > sp.noise)
        z = torch.where(start_obs, sp.y_bar + torch.sqrt((s0**2 - sp.noise**2).clamp_min(0)) * eps, s0 * eps)
        for i in range(loop.steps + 1):
            z = self._step(z, loop.spectral_denoise(z, i), sp, *loop.levels(i), loop.randn(flat=True))
        return op.v(z), {}

    def _step(self, z: Tensor, x0: Tensor, sp: Spectral, s: Tensor, s_next: Tensor, e: Tensor) -> Tensor:
        eta, eta_b = self.eta, self.eta_b
        keep = (1 - eta**2) ** 0.5
        null = x0 + keep * s_next * (z - x0) / s + eta * s_next * e
        finite_noise = torch.where(sp.observed, sp.noise, torch.ones_like(sp.noise))
        below = (
            x0 + keep * s_next * (sp.y_bar - x0) / finite_noise.clamp_min(torch.finfo(z.dtype).tiny) + eta * s_next * e
        )
        above = (
            (1 - eta_b) * x0 + eta_b * sp.y_bar + torch.sqrt((s_next**2 - (eta_b * finite_noise) ** 2).clamp_min(0)) * e
        )
        observed_step = torch.where(s_next < sp.noise, below, above)
        return torch.where(sp.observed, observed_step, null)
