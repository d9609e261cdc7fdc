"""RED-diff: variational posterior sampling by regularisation with the denoiser."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.observation import Observation
from sciddiff.processes import Process
from sciddiff.solvers import Schedule
from sciddiff.state import NoiseSource


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

    def run(
        self,
        denoiser: Any,
        process: Process,
        obs: Observation,
        x: Tensor,
        sched: Schedule,
        cost: Cost,
        noise: NoiseSource,
        progress: bool,
    ) -> tuple[Tensor, dict[str, Any]]:
        dtype, b = x.dtype, x.shape[0]
        shape = [1] * (x.dim() - 1)
        alpha, sigma, t = (c.to(dtype) for c in (sched.alpha, sched.sigma, sched.t))
        mu = (x / sigma[0].reshape(-1, *shape)).detach().requires_grad_(True)  # a standard-normal start
        opt = torch.optim.Adam([mu], lr=self.lr)
        for i in range(sched.steps):
            a, s = alpha[i + 1].reshape(-1, *shape), sigma[i + 1].reshape(-1, *shape)
            with torch.no_grad():
                pred = denoiser(a * mu + s * noise.randn(tuple(x.shape[1:]), dtype), t[i + 1].expand(b))
                d = pred.mean if isinstance(pred, Prediction) else pred
            opt.zero_grad()
            mu_d = mu.detach()
            data_grad = -obs.operator.vjp(mu_d, obs.precision(obs.residual(mu_d)))
            mu.grad = data_grad + self.lam * (mu_d - d)
            opt.step()
        return mu.detach(), {}
