"""Time series and dynamical systems: seeded simulators (Lorenz-63/96, Kuramoto-Sivashinsky), offline real data
(Mauna Loa CO2, monthly sunspots, UEA sets from aeon), time-ordered splits and windows, probabilistic metrics,
classical baselines (naive, state-space Kalman, ensemble Kalman smoother, particle smoother), and the training
adapter :class:`TimeSeriesAdapter` with its tasks (generation, forecasting, imputation, assimilation, rollouts)."""

from sciddiff.domains.timeseries.adapter import TimeSeriesAdapter

__all__ = ["TimeSeriesAdapter"]
