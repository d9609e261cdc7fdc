"""Diffusion posterior sampling (DPS)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import DenoiserTransform, Requirements
from sciddiff.guidance.observation import Observation
from sciddiff.guidance.tweedie import TweedieGuided
from sciddiff.processes import Process


class DPS(DenoiserTransform):
    """grad log p(y | x_t) ~ -scale grad_{x_t} ||y - A(D(x_t))||_{Sigma^-1} (``normalize=True``, the paper's
    step size zeta / ||y - A(D)|| with zeta = scale), or the Gaussian likelihood N(y; A(D), Sigma_y) times
    ``scale`` (``normalize=False``, unstable when Sigma_y is small). Either way the gradient is J_D^T A'(D)^T w.

    Chung et al., "Diffusion Posterior Sampling for General Noisy Inverse Problems" (2022), arXiv:2209.14687.
    Known to behave close to a MAP estimate (narrow posteriors). One VJP through the denoiser per evaluation.
    """

    name = "dps"
    requirements = Requirements(
        operator="differentiable", denoiser_jacobian=True, noise=("scalar", "diagonal", "lowrank", "full")
    )

    def __init__(self, scale: float = 1.0, normalize: bool = True) -> None:
        if not scale > 0:
            raise ValueError(f"dps needs scale > 0, got {scale}")
        self.scale, self.normalize = float(scale), normalize

    def guided(self, denoiser: Any, process: Process, observation: Observation, cost: Cost) -> Any:
        return _DPSGuided(denoiser, process, observation, cost, self)


class _DPSGuided(TweedieGuided):
    def __init__(self, denoiser: Any, process: Process, obs: Observation, cost: Cost, method: DPS) -> None:
        super().__init__(denoiser, process, obs, cost)
        self.method = method

    def correction(self, x: Tensor, d: Tensor, pred: Prediction, alpha: Tensor, sigma: Tensor) -> Tensor:
        d0 = d.detach()
        r = self.obs.residual(d0)
        w = self.obs.precision(r)
        if self.method.normalize:
            norm = (r * w).reshape(r.shape[0], -1).sum(1).clamp_min(torch.finfo(r.dtype).tiny).sqrt()
            w = w / norm.reshape(-1, *([1] * (r.dim() - 1)))
        seed = self.obs.operator.vjp(d0, w)
        return self.method.scale * sigma**2 / alpha * self.vjp(x, d, seed)
