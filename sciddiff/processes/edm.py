"""EDM / Karras process: time is the noise level."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class EDM(Process):
    """alpha = 1, sigma(t) = t, on t in [sigma_min, sigma_max].

    Defaults: sigma 0.002 to 80, rho = 7 for the default Karras grid, sigma_data = 0.5 for preconditioning.
    Karras et al., "Elucidating the Design Space of Diffusion-Based Generative Models" (2022), arXiv:2206.00364.
    """

    name = "edm"

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0, sigma_data: float = 0.5, rho: float = 7.0):
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"EDM needs 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
        if sigma_data <= 0 or rho <= 0:
            raise ValueError(f"EDM needs sigma_data > 0 and rho > 0, got {sigma_data}, {rho}")
        self.t_min, self.t_max, self.sigma_data, self.rho = sigma_min, sigma_max, sigma_data, rho

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.ones_like(t), t

    def _log_snr(self, t: Tensor) -> Tensor:
        return -2.0 * torch.log(t)

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        return torch.exp(-0.5 * lam)

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros_like(t), torch.ones_like(t)
