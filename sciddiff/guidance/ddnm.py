"""Denoising diffusion null-space models (DDNM and DDNM+ for noisy data)."""

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
        for i in range(sched.steps + 1):
            pred = denoiser(alpha[i].reshape(-1, *shape) * op.v(z), t[i].expand(b))
            x0 = op.v_t(pred.mean if isinstance(pred, Prediction) else pred)
            s_cur = s[i].unsqueeze(1)
            s_next = s[i + 1].unsqueeze(1) if i < sched.steps else torch.zeros_like(s_cur)
            full = s_next * torch.sqrt((1 - (s_next / s_cur) ** 2).clamp_min(0))
            lam = torch.where(sp.noise > 0, (full / sp.noise.clamp_min(torch.finfo(dtype).tiny)).clamp(max=1.0), 1.0)
            lam = torch.where(sp.observed, lam, torch.zeros_like(lam))
            x0_hat = x0 + lam * (sp.y_bar - x0)
            fresh = torch.sqrt((full**2 - (lam * torch.where(sp.observed, sp.noise, 0.0)) ** 2).clamp_min(0))
            z = x0_hat + (s_next / s_cur) ** 2 * (z - x0_hat) + fresh * noise.randn((op.in_dim,), dtype)
        return op.v(z), {}
