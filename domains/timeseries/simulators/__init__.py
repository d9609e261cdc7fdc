"""Seeded simulators of chaotic dynamics, returned as xarray with ``trajectory`` and ``time`` dimensions."""

from sciddiff.domains.timeseries.simulators.cached import simulate_cached
from sciddiff.domains.timeseries.simulators.integrators import rk4_step, rk4_trajectory
from sciddiff.domains.timeseries.simulators.kuramoto_sivashinsky import (
    ETDRK4,
    simulate_kuramoto_sivashinsky,
)
from sciddiff.domains.timeseries.simulators.lorenz63 import (
    SDA_MEAN,
    SDA_SCALE,
    StochasticLorenz63,
    lorenz63_rhs,
    simulate_lorenz63,
    simulate_stochastic_lorenz63,
)
from sciddiff.domains.timeseries.simulators.lorenz96 import lorenz96_rhs, simulate_lorenz96

__all__ = [
    "ETDRK4",
    "SDA_MEAN",
    "SDA_SCALE",
    "StochasticLorenz63",
    "lorenz63_rhs",
    "lorenz96_rhs",
    "rk4_step",
    "rk4_trajectory",
    "simulate_cached",
    "simulate_kuramoto_sivashinsky",
    "simulate_lorenz63",
    "simulate_lorenz96",
    "simulate_stochastic_lorenz63",
]
