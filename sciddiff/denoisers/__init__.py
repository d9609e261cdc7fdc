"""Denoisers: any callable (x_t, t, **cond) -> E[x0 | x_t]; network parametrizations and preconditioning."""

from sciddiff.denoisers.categorical_oracles import EnumeratedCategorical, LabelledGaussianMixture
from sciddiff.denoisers.categorical_output import split_prediction
from sciddiff.denoisers.cost import Cost, CountingDenoiser
from sciddiff.denoisers.network import NetworkDenoiser
from sciddiff.denoisers.preconditioning import Scaling, edm_scaling
from sciddiff.denoisers.prediction import CovarianceOperator, Denoiser, DenseCovariance, Prediction, predict
from sciddiff.denoisers.targets import TARGETS, Coefficients, from_x0, target_value, to_x0, x0_error_scale

__all__ = [
    "TARGETS",
    "Coefficients",
    "Cost",
    "CountingDenoiser",
    "CovarianceOperator",
    "Denoiser",
    "DenseCovariance",
    "EnumeratedCategorical",
    "LabelledGaussianMixture",
    "NetworkDenoiser",
    "Prediction",
    "Scaling",
    "edm_scaling",
    "from_x0",
    "predict",
    "split_prediction",
    "target_value",
    "to_x0",
    "x0_error_scale",
]
