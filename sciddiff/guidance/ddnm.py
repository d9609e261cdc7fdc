"""Denoising diffusion null-space models (DDNM and DDNM+ for noisy data)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.loop import Loop
from sciddiff.guidance.spectral import Spectral


class DDNM(PosteriorSampler):
    """Range-null-space correction x0_hat = x0 + lam (A^+ y - A^+ A x0) in the singular basis, then an ancestral
    step z' = x0_hat + (s'/s)^2 (z - x0_hat) + c e. Without noise lam = 1 (DDNM: the range part is A^+ y exactly).
    With noise (DDNM+) lam_i = min(1, c_full / n_i) with n_i = sigma_y / s_i, and the fresh noise shrinks to
    c^2 = c_full^2 - (lam_i n_i)^2 so the total stays that of the step, c_full^2 = s'^2 (1 - s'^2/s^2).
    Wang, Yu & Zhang, "Zero-Shot Image Restoration Using Denoising Diffusion Null-Space Model" (2022),
    arXiv:2212.00490. One evaluation per step plus the final denoise.
    """

    name = "ddnm"
    requirements = Requirements(operator="svd", noise=("scalar",), zero_noise=True)

    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        op, dtype = loop.obs.operator, loop.dtype
        sp = Spectral.of(loop.obs, dtype)
        z = op.v_t(loop.x / loop.per_sample(loop.table("alpha")[0]))
        for i in range(loop.steps + 1):
            x0 = loop.spectral_denoise(z, i)
            s_cur, s_next = loop.levels(i)
            full = s_next * torch.sqrt((1 - (s_next / s_cur) ** 2).clamp_min(0))
            lam = torch.where(sp.noise > 0, (full / sp.noise.clamp_min(torch.finfo(dtype).tiny)).clamp(max=1.0), 1.0)
            lam = torch.where(sp.observed, lam, torch.zeros_like(lam))
            x0_hat = x0 + lam * (sp.y_bar - x0)
            fresh = torch.sqrt((full**2 - (lam * torch.where(sp.observed, sp.noise, 0.0)) ** 2).clamp_min(0))
            z = x0_hat + (s_next / s_cur) ** 2 * (z - x0_hat) + fresh * loop.randn(flat=True)
        return op.v(z), {}
