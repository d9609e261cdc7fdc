"""Variance-preserving process with the cosine schedule."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class VPCosine(Process):
    """alpha(t) = cos(a(t)) / cos(a(0)), a(t) = (pi/2)(t + s)/(1 + s); sigma = sqrt(1 - alpha^2).

    Defaults: s = 0.008, t_min = 1e-3 (log-SNR 10.1), t_max = 0.9946 (log-SNR -9.6, where the matching
    discrete beta reaches 20, as in DPM-Solver). Nichol & Dhariwal, "Improved Denoising Diffusion Probabilistic
    Models" (2021), arXiv:2102.09672.
    """

    name = "vp_cosine"

    def __init__(self, s: float = 0.008, t_min: float = 1e-3, t_max: float = 0.9946):
        if not (s > 0 and 0 < t_min < t_max < 1):
            raise ValueError(f"VPCosine needs s > 0 and 0 < t_min < t_max < 1; got s={s}, t=[{t_min}, {t_max}]")
        self.s, self.t_min, self.t_max = s, t_min, t_max
        self._k = 0.5 * math.pi / (1.0 + s)
        self._b = self._k * s

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        a = self._k * (t + self.s)
        cb = math.cos(self._b)
        # 1 - alpha^2 = sin(a + b) sin(a - b) / cos(b)^2, free of cancellation near t = 0
        sigma2 = torch.sin(a + self._b) * torch.sin(self._k * t) / cb**2
        return torch.cos(a) / cb, torch.sqrt(sigma2)

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        alpha = torch.exp(0.5 * torch.nn.functional.logsigmoid(lam))
        sigma2 = torch.sigmoid(-lam)
        cb, sb = math.cos(self._b), math.sin(self._b)
        a = torch.atan2(torch.sqrt(sb**2 + cb**2 * sigma2), alpha * cb)
        return a / self._k - self.s

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        alpha, sigma = self._alpha_sigma(t)
        da = -torch.sin(self._k * (t + self.s)) * self._k / math.cos(self._b)
        return da, -alpha * da / sigma
