"""Observation noise models: scalar, diagonal, low-rank and full Gaussian covariances, and Poisson counts."""

from sciddiff.operators.noise.base import GaussianNoiseModel, NoiseModel
from sciddiff.operators.noise.convert import as_noise_model, noise_kind
from sciddiff.operators.noise.diagonal import DiagonalGaussian, GaussianNoise
from sciddiff.operators.noise.full import FullGaussian
from sciddiff.operators.noise.low_rank import LowRankGaussian
from sciddiff.operators.noise.poisson import Poisson

__all__ = [
    "DiagonalGaussian",
    "FullGaussian",
    "GaussianNoise",
    "GaussianNoiseModel",
    "LowRankGaussian",
    "NoiseModel",
    "Poisson",
    "as_noise_model",
    "noise_kind",
]
