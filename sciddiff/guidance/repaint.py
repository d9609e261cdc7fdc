"""RePaint: replacement of the observed part, generalised to any operator with an SVD."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.observation import Observation
from sciddiff.guidance.spectral import Spectral
from sciddiff.processes import Process
from sciddiff.solvers import Schedule
from sciddiff.state import NoiseSource


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

    def run(
        self,
        denoiser: Any,
        process: Process,
        obs: Observation,
        x: Tensor,
        sched: Schedule,
        cost: Cost,
        noise: NoiseSource,
        progress: bool,
    ) -> tuple[Tensor, dict[str, Any]]:
        op, dtype, b = obs.operator, x.dtype, x.shape[0]
        sp = Spectral.of(obs, dtype)
        s = torch.exp(-sched.lam).to(dtype)
        alpha, t = sched.alpha.to(dtype), sched.t.to(dtype)
        shape = [1] * (x.dim() - 1)
        z = op.v_t(x / alpha[0].reshape(-1, *shape))

        def denoise(z: Tensor, i: int) -> Tensor:
            pred = denoiser(alpha[i].reshape(-1, *shape) * op.v(z), t[i].expand(b))
            return op.v_t(pred.mean if isinstance(pred, Prediction) else pred)

        for i in range(sched.steps):
            s_cur, s_next = s[i].unsqueeze(1), s[i + 1].unsqueeze(1)
            for r in range(self.resample):
                x0 = denoise(z, i)
                ratio = (s_next / s_cur) ** 2
                z_next = x0 + ratio * (z - x0) + s_next * torch.sqrt(1 - ratio) * noise.randn((op.in_dim,), dtype)
                known = sp.y_bar + torch.sqrt((s_next**2 - sp.noise**2).clamp_min(0)) * noise.randn((op.in_dim,), dtype)
                z_next = torch.where(sp.observed & (s_next >= sp.noise), known, z_next)
                if r < self.resample - 1:
                    z = z_next + torch.sqrt(s_cur**2 - s_next**2) * noise.randn((op.in_dim,), dtype)
                else:
                    z = z_next
        x0 = denoise(z, sched.steps)
        return op.v(torch.where(sp.observed & (sp.noise <= 0), sp.y_bar, x0)), {}
