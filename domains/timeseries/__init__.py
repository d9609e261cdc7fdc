"""Time series and dynamical systems: seeded simulators (Lorenz-63/96, Kuramoto-Sivashinsky), offline real data
(Mauna Loa CO2, monthly sunspots, UEA BasicMotions), time-ordered splits and windows, probabilistic metrics and
classical baselines (naive, state-space Kalman, ensemble Kalman smoother, particle smoother)."""
