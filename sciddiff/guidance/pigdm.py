"""Pseudo-inverse-guided diffusion (PiGDM)."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import DenoiserTransform, Requirements
from sciddiff.guidance.linear_gaussian import CGWarnings, solve_data_space
from sciddiff.guidance.observation import Observation
from sciddiff.guidance.tweedie import TweedieGuided
from sciddiff.processes import Process


class PiGDM(DenoiserTransform):
    """p(x0 | x_t) ~ N(D(x_t), r_t^2 I) with r_t^2 = v s^2 / (v + s^2), s = sigma/alpha, v = ``data_var``; then
    p(y | x_t) = N(y; A D, r_t^2 A A^T + Sigma_y) and grad log p = J_D^T A^T (r_t^2 A A^T + Sigma_y)^-1 (y - A D).

    Exact for an isotropic Gaussian prior N(m, v I). Song et al., "Pseudoinverse-Guided Diffusion Models for
    Inverse Problems" (2023), ICLR. One VJP per evaluation; the solve uses the SVD when available, else CG.
    """

    name = "pigdm"
    requirements = Requirements(
        operator="linear", denoiser_jacobian=True, noise=("scalar", "diagonal", "lowrank", "full"), zero_noise=True
    )

    def __init__(self, data_var: float = 1.0, cg_iterations: int = 50) -> None:
        if not data_var > 0:
            raise ValueError(f"pigdm needs data_var > 0, got {data_var}")
        self.data_var, self.cg_iterations = float(data_var), int(cg_iterations)
        self.log = CGWarnings()

    def guided(self, denoiser: Any, process: Process, observation: Observation, cost: Cost) -> Any:
        return _PiGDMGuided(denoiser, process, observation, cost, self)


class _PiGDMGuided(TweedieGuided):
    def __init__(self, denoiser: Any, process: Process, obs: Observation, cost: Cost, method: PiGDM) -> None:
        super().__init__(denoiser, process, obs, cost)
        self.method = method

    def correction(self, x: Tensor, d: Tensor, pred: Prediction, alpha: Tensor, sigma: Tensor) -> Tensor:
        v = self.method.data_var
        s2 = (sigma / alpha).reshape(-1) ** 2
        r2 = v * s2 / (v + s2)
        w = solve_data_space(self.obs, r2, self.obs.residual(d.detach()), self.method.cg_iterations, self.method.log)
        return sigma**2 / alpha * self.vjp(x, d, self.obs.operator.adjoint(w))
