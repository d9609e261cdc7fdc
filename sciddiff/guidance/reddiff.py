"""RED-diff: variational posterior sampling by regularisation with the denoiser."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.loop import Loop


class REDDiff(PosteriorSampler):
    """Fits a point estimate mu by Adam on ||y - A(mu)||^2_{Sigma^-1} / 2 + lam * reg, where the regulariser's
    gradient, sampled at decreasing noise levels t_i with x_t = alpha mu + sigma e, is
    lam * w_t * (eps_hat(x_t) - e) with SNR weight w_t = sigma/alpha, i.e. lam * (mu - D(x_t)).
    ``steps`` is the number of optimisation iterations (one evaluation each). Each sample is an independent fit
    from a different start, so the spread reflects the optimiser, not a calibrated posterior.
    Mardani et al., "A Variational Perspective on Solving Inverse Problems with Diffusion Models" (2023),
    arXiv:2305.04391.
    """

    name = "reddiff"
    requirements = Requirements(operator="differentiable", noise=("scalar", "diagonal", "lowrank", "full"))

    def __init__(self, lam: float = 0.25, lr: float = 0.1) -> None:
        if not (lam >= 0 and lr > 0):
            raise ValueError(f"reddiff needs lam >= 0 and lr > 0, got lam={lam}, lr={lr}")
        self.lam, self.lr = lam, lr

    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        obs = loop.obs
        alpha, sigma = loop.table("alpha"), loop.table("sigma")
        mu = (loop.x / loop.per_sample(sigma[0])).detach().requires_grad_(True)  # a standard-normal start
        opt = torch.optim.Adam([mu], lr=self.lr)
        for i in range(1, loop.steps + 1):
            with torch.no_grad():
                x_t = loop.per_sample(alpha[i]) * mu + loop.per_sample(sigma[i]) * loop.randn()
                d = loop.denoise(x_t, i)
            opt.zero_grad()
            mu_d = mu.detach()
            data_grad = -obs.operator.vjp(mu_d, obs.precision(obs.residual(mu_d)))
            mu.grad = data_grad + self.lam * (mu_d - d)
            opt.step()
        return mu.detach(), {}
