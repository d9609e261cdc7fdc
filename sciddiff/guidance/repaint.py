"""RePaint: replacement of the observed part, generalised to any operator with an SVD."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.loop import Loop
from sciddiff.guidance.spectral import Spectral


class RePaint(PosteriorSampler):
    """Ancestral sampling in the singular basis of A (for a mask: in pixel space), where after each step the
    observed coefficients are replaced by the observation noised to the current level,
    z'_i = y_i + sqrt(s'^2 - n_i^2) e (n_i = sigma_y / s_i; only once s' exceeds n_i). ``resample`` > 1 repeats
    each step that many times, re-noising from s' back to s in between (RePaint's jumps of length one).
    Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion Probabilistic Models" (2022),
    arXiv:2201.09865. ``resample`` evaluations per step plus the final denoise.
    """

    name = "repaint"
    requirements = Requirements(operator="svd", noise=("scalar",), zero_noise=True)

    def __init__(self, resample: int = 1) -> None:
        if resample < 1:
            raise ValueError(f"repaint needs resample >= 1, got {resample}")
        self.resample = int(resample)

    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        op = loop.obs.operator
        sp = Spectral.of(loop.obs, loop.dtype)
        z = op.v_t(loop.x / loop.per_sample(loop.table("alpha")[0]))
        for i in range(loop.steps):
            s_cur, s_next = loop.levels(i)
            for r in range(self.resample):
                x0 = loop.spectral_denoise(z, i)
                ratio = (s_next / s_cur) ** 2
                z_next = x0 + ratio * (z - x0) + s_next * torch.sqrt(1 - ratio) * loop.randn(flat=True)
                known = sp.y_bar + torch.sqrt((s_next**2 - sp.noise**2).clamp_min(0)) * loop.randn(flat=True)
                z_next = torch.where(sp.observed & (s_next >= sp.noise), known, z_next)
                if r < self.resample - 1:
                    z = z_next + torch.sqrt(s_cur**2 - s_next**2) * loop.randn(flat=True)
                else:
                    z = z_next
        x0 = loop.spectral_denoise(z, loop.steps)
        return op.v(torch.where(sp.observed & (sp.noise <= 0), sp.y_bar, x0)), {}
