"""Rectified-flow / flow-matching linear interpolant."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class Flow(Process):
    """alpha = 1 - t, sigma = t.

    log-SNR = 2 log((1 - t)/t) is infinite at t = 0 and 1, so the defaults are t_min = 1e-3 (log-SNR 13.8)
    and t_max = 1 - 1e-3 (log-SNR -13.8); the prior N(0, t_max^2 I) differs from x_{t_max} only through the
    0.001 x0 term. Liu et al., "Flow Straight and Fast" (2022), arXiv:2209.03003; Lipman et al.,
    "Flow Matching for Generative Modeling" (2022), arXiv:2210.02747.
    """

    name = "flow"

    def __init__(self, t_min: float = 1e-3, t_max: float = 1.0 - 1e-3):
        if not 0 < t_min < t_max < 1:
            raise ValueError(f"Flow needs 0 < t_min < t_max < 1, got t_min={t_min}, t_max={t_max}")
        self.t_min, self.t_max = t_min, t_max

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return 1.0 - t, t

    def _log_snr(self, t: Tensor) -> Tensor:
        return 2.0 * (torch.log1p(-t) - torch.log(t))

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        return torch.sigmoid(-0.5 * lam)

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return -torch.ones_like(t), torch.ones_like(t)
