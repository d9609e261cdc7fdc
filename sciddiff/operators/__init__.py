"""Forward operators y = A(x) (linear with adjoint/SVD, nonlinear, black-box) and observation noise models."""

from sciddiff.operators.aggregate import Aggregate
from sciddiff.operators.base import LinearOperator, Operator
from sciddiff.operators.blocks import BlockReduce
from sciddiff.operators.blur import Blur
from sciddiff.operators.callables import BlackBox, Differentiable
from sciddiff.operators.cg import least_squares_cg
from sciddiff.operators.check import CheckReport, check_operator
from sciddiff.operators.compose import Composed, LinearComposed, compose
from sciddiff.operators.counting import CountingLinearOperator, CountingOperator
from sciddiff.operators.dense_svd import DenseSVD, MatrixSVD, SVDFactors
from sciddiff.operators.downsample import Downsample
from sciddiff.operators.identity import Identity
from sciddiff.operators.kspace_masks import variable_density_mask
from sciddiff.operators.mask import Mask
from sciddiff.operators.matrix import Matrix
from sciddiff.operators.noise import (
    DiagonalGaussian,
    FullGaussian,
    GaussianNoise,
    GaussianNoiseModel,
    LowRankGaussian,
    NoiseModel,
    Poisson,
    as_noise_model,
    noise_kind,
)
from sciddiff.operators.partial_fourier import PartialFourier
from sciddiff.operators.radon import Radon
from sciddiff.operators.real_fourier import inverse_real_fourier, real_fourier
from sciddiff.operators.registry import OPERATORS, get_operator
from sciddiff.operators.scaled import LinearScaled, Scaled, scaled
from sciddiff.operators.stack import LinearStacked, Stacked, stack

__all__ = [
    "OPERATORS",
    "Aggregate",
    "BlackBox",
    "BlockReduce",
    "Blur",
    "CheckReport",
    "Composed",
    "CountingLinearOperator",
    "CountingOperator",
    "DenseSVD",
    "DiagonalGaussian",
    "Differentiable",
    "Downsample",
    "FullGaussian",
    "GaussianNoise",
    "GaussianNoiseModel",
    "Identity",
    "LinearComposed",
    "LinearOperator",
    "LinearScaled",
    "LinearStacked",
    "LowRankGaussian",
    "Mask",
    "Matrix",
    "MatrixSVD",
    "NoiseModel",
    "Operator",
    "PartialFourier",
    "Poisson",
    "Radon",
    "SVDFactors",
    "Scaled",
    "Stacked",
    "as_noise_model",
    "check_operator",
    "compose",
    "get_operator",
    "inverse_real_fourier",
    "least_squares_cg",
    "noise_kind",
    "real_fourier",
    "scaled",
    "stack",
    "variable_density_mask",
]
