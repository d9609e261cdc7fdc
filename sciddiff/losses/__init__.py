"""Training losses: targets, weightings and time samplers."""

from sciddiff.losses.loss import DenoisingLoss
from sciddiff.losses.time_sampling import TIME_SAMPLERS, LogitNormal, LogNormalSigma, TimeSampler, UniformTime
from sciddiff.losses.weighting import ELBO, SNR, WEIGHTINGS, EDMWeighting, MinSNR, Uniform, Weighting

__all__ = [
    "ELBO",
    "SNR",
    "TIME_SAMPLERS",
    "WEIGHTINGS",
    "DenoisingLoss",
    "EDMWeighting",
    "LogNormalSigma",
    "LogitNormal",
    "MinSNR",
    "TimeSampler",
    "Uniform",
    "UniformTime",
    "Weighting",
]
