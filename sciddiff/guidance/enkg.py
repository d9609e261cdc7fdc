"""Ensemble Kalman guidance: derivative-free posterior sampling from forward evaluations only."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.guidance.base import PosteriorSampler, Requirements
from sciddiff.guidance.loop import Loop
from sciddiff.guidance.observation import Observation
from sciddiff.solvers import ddim_coefficients


def ensemble_regression(inputs: Tensor, outputs: Tensor, ridge: float = 1e-8) -> Tensor:
    """Least-squares slope B (d, m) of centred outputs (M, m) on centred inputs (M, d), ridge-regularised:
    B = (X^T X + l I)^-1 X^T Y, solved in whichever of the d- or M-dimensional spaces is smaller. Computed in
    float64 (a centred ensemble is rank-deficient, so a relative ridge of 1e-8 vanishes in float32) and returned
    in the inputs' dtype."""
    x = inputs.double() - inputs.double().mean(0, keepdim=True)
    y = outputs.double() - outputs.double().mean(0, keepdim=True)
    m, d = x.shape
    gram_scale = float((x * x).sum()) / max(min(m, d), 1)
    lam = ridge * max(gram_scale, torch.finfo(x.dtype).tiny)
    if d <= m:
        slope = torch.linalg.solve(x.T @ x + lam * torch.eye(d, dtype=x.dtype, device=x.device), x.T @ y)
    else:
        slope = x.T @ torch.linalg.solve(x @ x.T + lam * torch.eye(m, dtype=x.dtype, device=x.device), y)
    return slope.to(inputs.dtype)


class EnKG(PosteriorSampler):
    """Guides an ensemble with Kalman-type statistics instead of derivatives. At each step, with D_j = D(x_j)
    and y_j = A(D_j) for every member, ensemble regressions give H^T ~ (dy/dx_t)^T (y_j on x_j) and
    A^T ~ (dy/dD)^T (y_j on D_j); with C = (sigma^2/alpha) J_D (Tweedie) this yields C A^T = (sigma^2/alpha) H^T
    and A C A^T = (sigma^2/alpha) H A^T, so each member's x0 estimate is moment-matched,
      D_j + (sigma^2/alpha) H^T (Sigma_y + (sigma^2/alpha) H A^T)^-1 (y - y_j),
    before a DDIM(eta) step. Exact for a Gaussian prior and a linear operator as the ensemble grows beyond the
    dimension; neither the denoiser nor the operator is differentiated. One evaluation and M operator calls per
    step. Zheng et al., "Ensemble Kalman Diffusion Guidance: A Derivative-free Method for Inverse Problems"
    (2024), arXiv:2409.20175; Evensen, "The Ensemble Kalman Filter" (2003).
    """

    name = "enkg"
    requirements = Requirements(
        operator="forward", noise=("scalar", "diagonal", "lowrank", "full"), coupling="ensemble", zero_noise=True
    )

    def __init__(self, eta: float = 1.0, ridge: float = 1e-8) -> None:
        if not 0 <= eta <= 1:
            raise ValueError(f"enkg needs eta in [0, 1], got {eta}")
        self.eta, self.ridge = eta, ridge

    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        dtype, b, obs, sched, x = loop.dtype, loop.batch, loop.obs, loop.sched, loop.x
        if b < 2:
            raise ValueError(f"enkg needs an ensemble of at least 2 members (n_samples >= 2), got {b}")
        c_x, c_d, c_n = (c.to(dtype) for c in ddim_coefficients(sched, self.eta))
        cov_y = obs.noise.dense().to(dtype)
        y = obs.y.reshape(-1).to(dtype)
        for i in range(loop.steps + 1):
            scale = float((sched.sigma[i] ** 2 / sched.alpha[i]).max())
            d = self._guide(x, loop.denoise(x, i), obs, cov_y, y, scale, b)
            if i < loop.steps:
                x = loop.per_sample(c_x[i]) * x + loop.per_sample(c_d[i]) * d
                if self.eta > 0:
                    x = x + loop.per_sample(c_n[i]) * loop.randn()
        return d, {}

    def _guide(self, x: Tensor, d: Tensor, obs: Observation, cov_y: Tensor, y: Tensor, scale: float, b: int) -> Tensor:
        y_pred = obs.forward(d).reshape(b, -1)
        h_t = ensemble_regression(x.reshape(b, -1), y_pred, self.ridge)  # (d, m): (dy/dx_t)^T
        a_t = ensemble_regression(d.reshape(b, -1), y_pred, self.ridge)  # (d, m): (dy/dD)^T
        gain_system = cov_y.double() + scale * h_t.double().T @ a_t.double()  # float64: Sigma_y can be tiny
        gain_system = 0.5 * (gain_system + gain_system.T)
        w = torch.linalg.solve(gain_system, (y - y_pred).T.double()).to(d.dtype)  # (m, B)
        return d + (scale * (h_t @ w)).T.reshape(d.shape)
