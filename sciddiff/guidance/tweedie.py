"""Guided denoisers built on Tweedie's formula: E[x0 | x_t, y] = D(x_t) + (sigma^2/alpha) grad log p(y | x_t).

Each method chooses an approximation of p(y | x_t); its gradient is J_D^T v for a method-specific v, computed
with one vector-Jacobian product through the denoiser (Chung et al. 2022; Song et al. 2023; Rozet et al. 2024).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.observation import Observation
from sciddiff.processes import Process


def broadcast(c: Tensor, x: Tensor) -> Tensor:
    """A per-sample (B,) coefficient shaped to broadcast against x (B, ...)."""
    return c.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


class TweedieGuided:
    """Callable guided denoiser; subclasses give the VJP seed v (or the whole correction)."""

    def __init__(self, denoiser: Any, process: Process, observation: Observation, cost: Cost) -> None:
        self.denoiser, self.process, self.obs, self.cost = denoiser, process, observation, cost

    def __call__(self, x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
        alpha, sigma = (broadcast(c, x_t) for c in self.process.alpha_sigma(t))
        with torch.enable_grad():
            x = x_t.detach().requires_grad_(True)
            pred = self.denoiser(x, t, **cond)
            pred = pred if isinstance(pred, Prediction) else Prediction(pred)
            d = pred.mean
            correction = self.correction(x, d, pred, alpha, sigma)
        return (d + correction).detach()

    def vjp(self, x: Tensor, d: Tensor, v: Tensor, retain: bool = False) -> Tensor:
        """J_D^T v through the denoiser's graph (one counted VJP)."""
        self.cost.vjp += 1
        (g,) = torch.autograd.grad(d, x, v.to(d.dtype), retain_graph=retain)
        return g

    @abstractmethod
    def correction(self, x: Tensor, d: Tensor, pred: Prediction, alpha: Tensor, sigma: Tensor) -> Tensor:
        """E[x0 | x_t, y] - D(x_t)."""
