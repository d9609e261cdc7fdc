"""Shared exact oracles for solver tests: small Gaussian mixtures and reference flow maps."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.analytic import GaussianMixture, solve_pf_ode, ve_denoiser
from sciddiff.processes import EDM, VE, VP, Flow, Process, VPCosine

F64 = torch.float64
PROCESSES: list[Process] = [VP(), VPCosine(), VE(), EDM(), Flow()]


def smooth_mixture() -> GaussianMixture:
    """Three overlapping 2-D components: a flow map smooth enough for asymptotic order tests."""
    means = torch.tensor([[-1.0, 0.5], [1.2, 0.3], [0.2, -1.1]], dtype=F64)
    covs = torch.tensor([[[0.5, 0.1], [0.1, 0.4]], [[0.6, -0.2], [-0.2, 0.5]], [[0.4, 0.0], [0.0, 0.7]]], dtype=F64)
    return GaussianMixture(torch.tensor([0.3, 0.3, 0.4], dtype=F64), means, covs)


def separated_mixture() -> GaussianMixture:
    """Three well separated 2-D modes with unequal weights, for distributional tests."""
    means = torch.tensor([[-2.0, 0.0], [2.0, 0.5], [0.0, 2.5]], dtype=F64)
    return GaussianMixture(torch.tensor([0.5, 0.3, 0.2], dtype=F64), means, torch.tensor([0.15, 0.25, 0.1]))


def reference_ode(mixture: GaussianMixture, process: Process, x_start: Tensor, t_start: float, t_end: float) -> Tensor:
    """x at t_end from x_start at t_start along the exact probability-flow ODE (scipy DOP853, rtol 1e-11)."""
    a0, s0 = (float(c) for c in process.alpha_sigma(torch.tensor(t_start, dtype=F64)))
    a1, s1 = (float(c) for c in process.alpha_sigma(torch.tensor(t_end, dtype=F64)))
    y = solve_pf_ode(ve_denoiser(mixture), x_start / a0, s0 / a0, s1 / a1, rtol=1e-11, atol=1e-11)
    return a1 * y


def rms(a: Tensor, b: Tensor) -> float:
    return float((a - b).reshape(a.shape[0], -1).pow(2).sum(1).mean().sqrt())
