"""Variance-preserving process with the DDPM linear beta schedule, in continuous time."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class VP(Process):
    """beta(t) = beta_min + t (beta_max - beta_min); alpha = exp(-I(t)/2), sigma = sqrt(1 - alpha^2).

    I(t) = beta_min t + (beta_max - beta_min) t^2 / 2, and log-SNR = -log(expm1(I)). Defaults: beta from
    0.1 to 20 (DDPM's 1e-4 .. 0.02 over 1000 steps), t_min = 1e-3 (log-SNR 9.1), t_max = 1 (log-SNR -10.0).
    Ho et al., "Denoising Diffusion Probabilistic Models" (2020), arXiv:2006.11239; Song et al. (2021),
    arXiv:2011.13456.
    """

    name = "vp"

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, t_min: float = 1e-3, t_max: float = 1.0):
        if not 0 < beta_min < beta_max:
            raise ValueError(f"VP needs 0 < beta_min < beta_max, got beta_min={beta_min}, beta_max={beta_max}")
        if not 0 < t_min < t_max:
            raise ValueError(f"VP needs 0 < t_min < t_max, got t_min={t_min}, t_max={t_max}")
        self.beta_min, self.beta_max, self.t_min, self.t_max = beta_min, beta_max, t_min, t_max

    def _integral(self, t: Tensor) -> Tensor:
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        i = self._integral(t)
        return torch.exp(-0.5 * i), torch.sqrt(-torch.expm1(-i))

    def _log_snr(self, t: Tensor) -> Tensor:
        i = self._integral(t)
        return -torch.log(torch.expm1(i))

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        i = torch.nn.functional.softplus(-lam)
        b0, d = self.beta_min, self.beta_max - self.beta_min
        return 2.0 * i / (b0 + torch.sqrt(b0**2 + 2.0 * d * i))

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        alpha, sigma = self._alpha_sigma(t)
        beta = self.beta_min + (self.beta_max - self.beta_min) * t
        return -0.5 * beta * alpha, 0.5 * beta * alpha**2 / sigma
