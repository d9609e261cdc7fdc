"""Classical baselines. Each returns a :class:`Predictive`: draws with the samples axis first, (n, time, ...).

Naive (climatology, persistence, seasonal naive), linear interpolation for gaps, statsmodels state-space Kalman
forecasts and smoothing, and for state-space models with Gaussian noise (Lorenz systems): the stochastic EnKF with
the ensemble RTS smoother, the bootstrap particle filter with backward simulation, and perfect-model ensembles.
"""

from sciddiff.domains.timeseries.baselines.enks import (
    EnsembleFilterResult,
    ensemble_kalman_filter,
    ensemble_kalman_smoother,
)
from sciddiff.domains.timeseries.baselines.interpolation import linear_interpolation
from sciddiff.domains.timeseries.baselines.naive import climatology, persistence, seasonal_naive
from sciddiff.domains.timeseries.baselines.particle import (
    ParticleFilterResult,
    backward_simulation,
    bootstrap_particle_filter,
    particle_smoother,
    systematic_resample,
)
from sciddiff.domains.timeseries.baselines.perfect_model import perfect_model_forecast
from sciddiff.domains.timeseries.baselines.predictive import Predictive
from sciddiff.domains.timeseries.baselines.ssm import GaussianStateSpace, lorenz96_ssm, sda_lorenz63
from sciddiff.domains.timeseries.baselines.state_space import (
    state_space_forecast,
    state_space_model,
    state_space_smooth,
)

__all__ = [
    "EnsembleFilterResult",
    "GaussianStateSpace",
    "ParticleFilterResult",
    "Predictive",
    "backward_simulation",
    "bootstrap_particle_filter",
    "climatology",
    "ensemble_kalman_filter",
    "ensemble_kalman_smoother",
    "linear_interpolation",
    "lorenz96_ssm",
    "particle_smoother",
    "perfect_model_forecast",
    "persistence",
    "sda_lorenz63",
    "seasonal_naive",
    "state_space_forecast",
    "state_space_model",
    "state_space_smooth",
    "systematic_resample",
]
