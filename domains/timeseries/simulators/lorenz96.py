"""Lorenz-96 on a periodic ring: dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F.

Lorenz, "Predictability: a problem partly solved" (1996). Energy budget: d/dt (1/2) sum x_i^2 = -sum x_i^2 + F sum x_i,
because the advection term conserves energy on the ring.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.simulators.integrators import check_steps, rk4_trajectory


def lorenz96_rhs(x: np.ndarray, forcing: float = 8.0) -> np.ndarray:
    """(x_{i+1} - x_{i-2}) x_{i-1} - x_i + F along the last axis, indices taken modulo its length."""
    return (np.roll(x, -1, axis=-1) - np.roll(x, 2, axis=-1)) * np.roll(x, 1, axis=-1) - x + forcing


def simulate_lorenz96(
    n_steps: int,
    *,
    n_variables: int = 40,
    forcing: float = 8.0,
    dt: float = 0.05,
    substeps: int = 1,
    n_trajectories: int = 1,
    burn_in: int = 1000,
    seed: int = 0,
) -> xr.Dataset:
    """Lorenz-96 by RK4: n_steps + 1 states spaced ``dt`` after ``burn_in`` steps, as ``x`` (trajectory, time, space).

    Initial states are F + N(0, 1) per variable, from ``numpy.random.default_rng(seed)``.
    """
    check_steps(dt, n_steps, substeps)
    if n_variables < 4:
        raise ValueError(f"Lorenz-96 needs at least 4 variables on the ring, got {n_variables}")
    if n_trajectories < 1 or burn_in < 0:
        raise ValueError(f"need n_trajectories >= 1 and burn_in >= 0, got {n_trajectories} and {burn_in}")
    rng = np.random.default_rng(seed)

    def f(x: np.ndarray) -> np.ndarray:
        return lorenz96_rhs(x, forcing)

    x0 = forcing + rng.standard_normal((n_trajectories, n_variables))
    x0 = rk4_trajectory(f, x0, dt, burn_in, substeps)[-1]
    states = rk4_trajectory(f, x0, dt, n_steps, substeps)
    x = xr.DataArray(
        np.ascontiguousarray(states.transpose(1, 0, 2)),
        dims=("trajectory", "time", "space"),
        coords={
            "trajectory": np.arange(n_trajectories),
            "time": ("time", dt * np.arange(n_steps + 1), {"units": "model time units", "long_name": "time"}),
            "space": ("space", np.arange(n_variables), {"long_name": "site index on the periodic ring"}),
        },
        attrs={"units": "1", "long_name": "Lorenz-96 state"},
    )
    attrs = {"system": "lorenz96", "forcing": forcing, "dt": dt, "substeps": substeps, "burn_in": burn_in}
    return xr.Dataset({"x": x}, attrs=attrs | {"seed": seed, "integrator": "rk4"})
