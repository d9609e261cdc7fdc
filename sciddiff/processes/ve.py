"""Variance-exploding process with a geometric sigma schedule."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class VE(Process):
    """alpha = 1, sigma(t) = sigma_min (sigma_max / sigma_min)^t on t in [0, 1].

    Defaults: sigma_min = 0.01, sigma_max = 50 (Song et al.'s CIFAR-10 setting); log-SNR runs from 9.2 at
    t = 0 to -7.8 at t = 1, finite at both ends. Song et al. (2021), arXiv:2011.13456.
    """

    name = "ve"

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0):
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"VE needs 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.t_min, self.t_max = 0.0, 1.0
        self._log_ratio = math.log(sigma_max / sigma_min)

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return torch.ones_like(t), self.sigma_min * torch.exp(self._log_ratio * t)

    def _log_snr(self, t: Tensor) -> Tensor:
        return -2.0 * (math.log(self.sigma_min) + self._log_ratio * t)

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        return (-0.5 * lam - math.log(self.sigma_min)) / self._log_ratio

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        _, sigma = self._alpha_sigma(t)
        return torch.zeros_like(t), sigma * self._log_ratio
