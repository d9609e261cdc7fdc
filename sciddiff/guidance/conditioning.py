"""Conditioning without an operator: classifier-free guidance and classifier (regressor) guidance."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Prediction
from sciddiff.guidance.tweedie import broadcast
from sciddiff.processes import Process


def _mean(out: Any) -> Tensor:
    return out.mean if isinstance(out, Prediction) else out


class ClassifierFreeGuidance:
    """D_w = D(x_t; null) + w (D(x_t; cond) - D(x_t; null)); w = 1 is the conditional model, w = 0 the
    unconditional one. Two denoiser evaluations per call. Ho & Salimans, "Classifier-Free Diffusion Guidance"
    (2022), arXiv:2207.12598.
    """

    def __init__(self, denoiser: Any, scale: float, null_cond: Mapping[str, Any]) -> None:
        self.denoiser, self.scale, self.null_cond = denoiser, float(scale), dict(null_cond)

    def __call__(self, x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
        uncond = _mean(self.denoiser(x_t, t, **self.null_cond))
        if self.scale == 0.0:
            return uncond
        return uncond + self.scale * (_mean(self.denoiser(x_t, t, **cond)) - uncond)


class ClassifierGuidance:
    """E[x0 | x_t, c] ~ D(x_t) + scale (sigma^2/alpha) grad_{x_t} log p(c | x_t), for any differentiable
    log-likelihood ``log_likelihood(x_t, t, **cond) -> (B,)`` (a classifier's log-probability or a regressor's
    Gaussian log-likelihood). The condition keywords go to the log-likelihood only; the denoiser is the
    unconditional model. Dhariwal & Nichol, "Diffusion Models Beat GANs on Image Synthesis" (2021),
    arXiv:2105.05233.
    """

    def __init__(self, denoiser: Any, process: Process, log_likelihood: Callable[..., Tensor], scale: float = 1.0):
        self.denoiser, self.process, self.log_likelihood, self.scale = denoiser, process, log_likelihood, float(scale)

    def __call__(self, x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
        d = _mean(self.denoiser(x_t, t))
        with torch.enable_grad():
            x = x_t.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.log_likelihood(x, t, **cond).sum(), x)
        alpha, sigma = (broadcast(c, x_t) for c in self.process.alpha_sigma(t))
        return d + self.scale * sigma**2 / alpha * grad
