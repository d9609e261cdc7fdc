"""Exact oracles: Gaussian and Gaussian-mixture priors under any process, and closed-form posteriors."""

from sciddiff.analytic.examples import grid_mixture, random_mixture, random_operator, ring_mixture
from sciddiff.analytic.flow_map import flow_map, solve_pf_ode, ve_denoiser
from sciddiff.analytic.mixture import Gaussian, GaussianMixture, MixtureCovariance, MixtureDenoiser

__all__ = [
    "Gaussian",
    "GaussianMixture",
    "MixtureCovariance",
    "MixtureDenoiser",
    "flow_map",
    "grid_mixture",
    "random_mixture",
    "random_operator",
    "ring_mixture",
    "solve_pf_ode",
    "ve_denoiser",
]
