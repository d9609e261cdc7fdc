"""Training losses: targets, weightings and time samplers; categorical and mixed-state losses."""

from sciddiff.losses.categorical import OBJECTIVES, categorical_terms, cross_entropy, masked_elbo, mixing_elbo
from sciddiff.losses.loss import DenoisingLoss
from sciddiff.losses.mixed import MixedLoss
from sciddiff.losses.time_sampling import TIME_SAMPLERS, LogitNormal, LogNormalSigma, TimeSampler, UniformTime
from sciddiff.losses.weighting import ELBO, SNR, WEIGHTINGS, EDMWeighting, MinSNR, Uniform, Weighting

__all__ = [
    "ELBO",
    "OBJECTIVES",
    "SNR",
    "TIME_SAMPLERS",
    "WEIGHTINGS",
    "DenoisingLoss",
    "EDMWeighting",
    "LogNormalSigma",
    "LogitNormal",
    "MinSNR",
    "MixedLoss",
    "TimeSampler",
    "Uniform",
    "UniformTime",
    "Weighting",
    "categorical_terms",
    "cross_entropy",
    "masked_elbo",
    "mixing_elbo",
]
