"""A process from user-supplied alpha(t) and sigma(t)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from sciddiff.processes.base import Process


class Interpolant(Process):
    """x_t = alpha(t) x0 + sigma(t) eps for any differentiable torch callables alpha, sigma.

    Derivatives come from autograd and the log-SNR inverse from bisection. log-SNR must decrease strictly on
    [t_min, t_max]; this is checked on a grid of 1001 points at construction. Albergo et al., "Stochastic
    Interpolants: A Unifying Framework for Flows and Diffusions" (2023), arXiv:2303.08797.
    """

    name = "interpolant"

    def __init__(
        self,
        alpha: Callable[[Tensor], Tensor],
        sigma: Callable[[Tensor], Tensor],
        t_min: float,
        t_max: float,
    ):
        if not t_min < t_max:
            raise ValueError(f"Interpolant needs t_min < t_max, got {t_min}, {t_max}")
        self._alpha_fn, self._sigma_fn, self.t_min, self.t_max = alpha, sigma, t_min, t_max
        t = torch.linspace(t_min, t_max, 1001, dtype=torch.float64)
        a, s = self._alpha_sigma(t)
        if not (torch.isfinite(a).all() and torch.isfinite(s).all() and (a > 0).all() and (s > 0).all()):
            raise ValueError("Interpolant needs finite alpha(t) > 0 and sigma(t) > 0 on [t_min, t_max]")
        lam = self._log_snr(t)
        if not (lam[1:] < lam[:-1]).all():
            raise ValueError("Interpolant needs log(alpha^2/sigma^2) to decrease strictly on [t_min, t_max]")

    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        return self._alpha_fn(t) * torch.ones_like(t), self._sigma_fn(t) * torch.ones_like(t)
