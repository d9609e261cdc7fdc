"""EDM preconditioning generalised to any (alpha, sigma).

With y = x_t / alpha and s = sigma / alpha (so y = x0 + s eps), D(x_t) = c_skip y + c_out F(c_in x_t, c_noise):
  c_in = 1 / (alpha sqrt(s^2 + sd^2)),  c_skip = sd^2 / (s^2 + sd^2),  c_out = s sd / sqrt(s^2 + sd^2),
  c_noise = log(s) / 4 = -log-SNR / 8,
which keeps the network's input and target at unit variance when the data have standard deviation sd.
Karras et al. (2022), arXiv:2206.00364.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Scaling:
    c_in: Tensor
    c_skip: Tensor
    c_out: Tensor
    c_noise: Tensor


def edm_scaling(alpha: Tensor, sigma: Tensor, sigma_data: float) -> Scaling:
    """The four EDM coefficients for per-sample alpha and sigma (any shape)."""
    s = sigma / alpha
    norm = torch.sqrt(s**2 + sigma_data**2)
    return Scaling(
        c_in=1.0 / (alpha * norm),
        c_skip=sigma_data**2 / norm**2,
        c_out=s * sigma_data / norm,
        c_noise=0.25 * torch.log(s),
    )
