"""Probabilistic scores of ensembles (samples axis first) against observations, on the entries a mask selects.

Every metric takes ``samples`` shaped (m, *obs.shape) and ``obs``; ``mask`` (broadcastable to obs, True = score)
picks the entries to score, and NaN observations (missing truth) are never scored.
"""

from sciddiff.domains.timeseries.metrics.calibration import interval_coverage, spread_skill_ratio
from sciddiff.domains.timeseries.metrics.crps import (
    QUANTILE_LEVELS,
    crps_ensemble,
    quantile_crps,
    quantile_crps_sum,
)
from sciddiff.domains.timeseries.metrics.energy import energy_score
from sciddiff.domains.timeseries.metrics.point import mae_median, rmse_median
from sciddiff.domains.timeseries.metrics.spectrum import energy_spectrum, log_spectrum_error, marginal_w1

__all__ = [
    "QUANTILE_LEVELS",
    "crps_ensemble",
    "energy_score",
    "energy_spectrum",
    "interval_coverage",
    "log_spectrum_error",
    "mae_median",
    "marginal_w1",
    "quantile_crps",
    "quantile_crps_sum",
    "rmse_median",
    "spread_skill_ratio",
]
