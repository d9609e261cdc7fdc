"""The classical fourth-order Runge-Kutta method for autonomous ODEs dx/dt = f(x), vectorised over leading axes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Vector = Callable[[np.ndarray], np.ndarray]


def rk4_step(f: Vector, x: np.ndarray, h: float) -> np.ndarray:
    """One RK4 step: x + h (k1 + 2 k2 + 2 k3 + k4) / 6, local error O(h^5)."""
    k1 = f(x)
    k2 = f(x + 0.5 * h * k1)
    k3 = f(x + 0.5 * h * k2)
    k4 = f(x + h * k3)
    return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def rk4_trajectory(f: Vector, x0: np.ndarray, dt: float, n_steps: int, substeps: int = 1) -> np.ndarray:
    """States at times 0, dt, ..., n_steps dt, each dt taken as ``substeps`` RK4 steps of dt / substeps.

    Returns an array shaped (n_steps + 1, *x0.shape); the global error is O((dt / substeps)^4).
    """
    check_steps(dt, n_steps, substeps)
    x = np.asarray(x0, dtype=np.float64)
    out = np.empty((n_steps + 1, *x.shape))
    out[0] = x
    h = dt / substeps
    for i in range(n_steps):
        for _ in range(substeps):
            x = rk4_step(f, x, h)
        out[i + 1] = x
    return out


def check_steps(dt: float, n_steps: int, substeps: int) -> None:
    """Reject a non-positive time step, a negative number of steps or fewer than one sub-step."""
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    if substeps < 1:
        raise ValueError(f"substeps must be >= 1, got {substeps}")
