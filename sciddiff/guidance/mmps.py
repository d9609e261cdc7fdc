"""Moment-matching posterior sampling (MMPS)."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import DenoiserTransform, Requirements
from sciddiff.guidance.cg import conjugate_gradient
from sciddiff.guidance.linear_gaussian import CGWarnings
from sciddiff.guidance.observation import Observation
from sciddiff.guidance.tweedie import TweedieGuided
from sciddiff.processes import Process


class MMPS(DenoiserTransform):
    """p(x0 | x_t) ~ N(D, C) with Tweedie's covariance C = Cov[x0 | x_t] = (sigma^2/alpha) J_D, so
    E[x0 | x_t, y] = D + C A^T (Sigma_y + A C A^T)^-1 (y - A D), the inner system solved by conjugate gradient.

    C is the denoiser's own covariance when its Prediction carries one (exact oracles: no autograd), else
    products with J_D^T (J_D is symmetric for a denoiser): one VJP per CG iteration plus one. Exact for any
    Gaussian prior. Rozet et al., "Learning Diffusion Priors from Observations by Expectation Maximization"
    (2024), arXiv:2405.13712.
    """

    name = "mmps"
    requirements = Requirements(
        operator="linear", denoiser_jacobian=True, noise=("scalar", "diagonal", "lowrank", "full"), zero_noise=True
    )

    def __init__(self, cg_iterations: int = 10, rtol: float = 1e-6, use_exact_covariance: bool = True) -> None:
        if cg_iterations < 1:
            raise ValueError(f"mmps needs cg_iterations >= 1, got {cg_iterations}")
        self.cg_iterations, self.rtol, self.use_exact_covariance = int(cg_iterations), rtol, use_exact_covariance
        self.log = CGWarnings()

    def guided(self, denoiser: Any, process: Process, observation: Observation, cost: Cost) -> Any:
        return _MMPSGuided(denoiser, process, observation, cost, self)


class _MMPSGuided(TweedieGuided):
    def __init__(self, denoiser: Any, process: Process, obs: Observation, cost: Cost, method: MMPS) -> None:
        super().__init__(denoiser, process, obs, cost)
        self.method = method

    def correction(self, x: Tensor, d: Tensor, pred: Prediction, alpha: Tensor, sigma: Tensor) -> Tensor:
        op, b = self.obs.operator, x.shape[0]
        exact = pred.covariance if self.method.use_exact_covariance else None

        def cov(v: Tensor) -> Tensor:
            if exact is not None:
                return exact.matvec(v.reshape(b, -1)).reshape(v.shape)
            return sigma**2 / alpha * self.vjp(x, d, v, retain=True)

        r = self.obs.residual(d.detach())
        shape = r.shape

        def matvec(w: Tensor) -> Tensor:
            wf = w.reshape(shape)
            return (self.obs.covariance(wf) + op(cov(op.adjoint(wf)))).reshape(b, -1)

        def noise_part(w: Tensor) -> Tensor:  # Sigma_y: the curvature's lower bound when C is PSD
            return self.obs.covariance(w.reshape(shape)).reshape(b, -1)

        res = conjugate_gradient(matvec, r.reshape(b, -1), self.method.cg_iterations, self.method.rtol, noise_part)
        self.method.log.check(res.relative_residual, "(Sigma_y + A C A^T) w = y - A D")
        return cov(op.adjoint(res.solution.reshape(shape)))
