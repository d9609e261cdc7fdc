"""Perfect-model ensemble forecasts: the true model run forward from initial states drawn given the noisy context.

This bounds what any forecaster can do with the same context: the only errors left are those of the initial
condition (the filtering law at the end of the context, estimated by an EnKF or a particle filter) and the model's
own process noise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.enks import ensemble_kalman_filter
from sciddiff.domains.timeseries.baselines.particle import bootstrap_particle_filter
from sciddiff.domains.timeseries.baselines.predictive import Predictive
from sciddiff.domains.timeseries.baselines.ssm import GaussianStateSpace


def perfect_model_forecast(
    model: GaussianStateSpace,
    context: ArrayLike,
    horizon: int,
    n_members: int,
    seed: int = 0,
    *,
    assimilation: Literal["enkf", "particle"] = "enkf",
    n_particles: int = 16384,
) -> Predictive:
    """States at the ``horizon`` steps after the context's last time, (n_members, horizon, d).

    Initial states are the EnKF analysis ensemble (``n_members`` members) at the last context time, or
    ``n_members`` draws from a bootstrap particle filter with ``n_particles`` particles.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    rng = np.random.default_rng([seed, 1])
    if assimilation == "enkf":
        x = ensemble_kalman_filter(model, context, n_members, seed).analysis[-1]
    elif assimilation == "particle":
        result = bootstrap_particle_filter(model, context, n_particles, seed)
        x = result.resample(-1, n_members, rng)
    else:
        raise ValueError(f"assimilation must be 'enkf' or 'particle', got {assimilation!r}")
    out = np.empty((n_members, horizon, model.state_dim))
    for h in range(horizon):
        x = model.sample_transition(x, rng)
        out[:, h] = x
    return Predictive(out)
