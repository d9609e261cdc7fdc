"""Per-grid coefficient table, computed once in float64: no per-step host synchronisation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.processes import Process, compute_dtype


@dataclass(frozen=True)
class Schedule:
    """Coefficients at the grid points, each shaped (N+1, B or 1) in float64 (float32 on MPS).

    ``lam`` is the half log-SNR log(alpha/sigma) used by exponential integrators; ``s = sigma/alpha`` is the
    noise level of the rescaled state y = x/alpha (EDM's sigma).
    """

    process: Process
    t: Tensor
    alpha: Tensor
    sigma: Tensor
    lam: Tensor

    @classmethod
    def build(cls, process: Process, grid: Tensor) -> Schedule:
        t = grid.to(compute_dtype(grid.device)).T.contiguous()  # (N+1, B|1)
        alpha, sigma = process.alpha_sigma(t)
        lam = 0.5 * process.log_snr(t)
        return cls(process, t, alpha, sigma, lam)

    @property
    def steps(self) -> int:
        return self.t.shape[0] - 1

    @property
    def s(self) -> Tensor:
        return torch.exp(-self.lam)

    @property
    def h(self) -> Tensor:
        """lam_{i+1} - lam_i > 0, shape (N, B|1)."""
        return self.lam[1:] - self.lam[:-1]

    def t_at_lam(self, lam: Tensor) -> Tensor:
        """Times for off-grid half log-SNR values (e.g. midpoints), float64."""
        return self.process.t_of_log_snr(2.0 * lam)

    def t_at_s(self, s: Tensor) -> Tensor:
        return self.process.t_of_noise_ratio(s)


def cast(coef: Tensor, dtype: torch.dtype) -> Tensor:
    """A float64 coefficient table (..., B|1) as (..., B|1, 1) in the working dtype, for (B, D) states."""
    return coef.to(dtype).unsqueeze(-1)
