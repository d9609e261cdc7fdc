"""Tools to measure how faithful samples and posteriors are, for any model: SBC ranks, expected coverage
(HPD with exact densities, TARP without), posterior-predictive chi-square, sliced Wasserstein and mode weights."""

from sciddiff.calibration.coverage import coverage_curve, hpd_levels, tarp_levels
from sciddiff.calibration.distances import mode_weights, sliced_wasserstein, total_variation
from sciddiff.calibration.ppc import PPCResult, residual_chi2
from sciddiff.calibration.sbc import SBCResult, coordinates, projections, sbc_ranks

__all__ = [
    "PPCResult",
    "SBCResult",
    "coordinates",
    "coverage_curve",
    "hpd_levels",
    "mode_weights",
    "projections",
    "residual_chi2",
    "sbc_ranks",
    "sliced_wasserstein",
    "tarp_levels",
    "total_variation",
]
