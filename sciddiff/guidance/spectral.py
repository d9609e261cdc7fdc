"""An observation in the operator's singular basis: y_bar_i = (U^T y)_i / s_i with noise sigma_y / s_i."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.guidance.observation import Observation


@dataclass(frozen=True)
class Spectral:
    """Per coefficient of V^T x (length in_dim): singular value, observed value and its noise level."""

    s: Tensor
    y_bar: Tensor
    noise: Tensor  # sigma_y / s_i, +inf where s_i = 0
    observed: Tensor  # bool, s_i > 0

    @classmethod
    def of(cls, obs: Observation, dtype: torch.dtype) -> Spectral:
        op = obs.operator
        n = op.in_dim
        s = op.singular_values().to(dtype)
        s = torch.cat([s, s.new_zeros(max(n - s.shape[0], 0))])[:n]
        u_y = op.u_t(obs.y.unsqueeze(0).to(dtype))[0]
        u_y = torch.cat([u_y, u_y.new_zeros(max(n - u_y.shape[0], 0))])[:n]
        observed = s > 0
        safe = torch.where(observed, s, torch.ones_like(s))
        y_bar = torch.where(observed, u_y / safe, torch.zeros_like(s))
        noise = torch.where(observed, obs.scalar_std / safe, torch.full_like(s, float("inf")))
        return cls(s, y_bar, noise, observed)
