"""DiffPIR's data-consistency proximal step as a denoiser transform."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, Prediction
from sciddiff.guidance.base import DenoiserTransform, Requirements
from sciddiff.guidance.linear_gaussian import CGWarnings, solve_prox
from sciddiff.guidance.observation import Observation
from sciddiff.processes import Process


class DiffPIR(DenoiserTransform):
    """x0_hat = argmin_x ||y - A x||^2_{Sigma_y^-1} / 2 + lam ||x - D(x_t)||^2 / (2 s_t^2), s_t = sigma/alpha:
    a proximal data step around the denoiser's estimate, with weight lam (DiffPIR's lambda). No Jacobian.

    Zhu et al., "Denoising Diffusion Models for Plug-and-Play Image Restoration" (2023), arXiv:2305.08995.
    """

    name = "diffpir"
    requirements = Requirements(operator="linear", noise=("scalar", "diagonal", "lowrank", "full"))

    def __init__(self, lam: float = 1.0, cg_iterations: int = 50) -> None:
        if not lam > 0:
            raise ValueError(f"diffpir needs lam > 0, got {lam}")
        self.lam, self.cg_iterations = float(lam), int(cg_iterations)
        self.log = CGWarnings()

    def guided(self, denoiser: Any, process: Process, observation: Observation, cost: Cost) -> Any:
        method = self

        def guided(x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
            pred = denoiser(x_t, t, **cond)
            d = pred.mean if isinstance(pred, Prediction) else pred
            s2 = torch.exp(-process.log_snr(t.to(torch.float64)))
            return solve_prox(observation, s2 / method.lam, d, method.cg_iterations, method.log)

        return guided
