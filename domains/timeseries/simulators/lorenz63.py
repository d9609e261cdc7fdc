"""Lorenz-63, deterministic and with additive process noise as in score-based data assimilation.

Lorenz, "Deterministic Nonperiodic Flow" (1963): x' = s (y - x), y' = x (r - z) - y, z' = x y - b z.
Rozet & Louppe, "Score-based Data Assimilation" (2023, arXiv:2306.10574), Lorenz experiment: one RK4 step of
dt = 0.025 per transition, plus N(0, dt I) noise in physical units, i.e. x_{k+1} = RK4_dt(x_k) + sqrt(dt) eps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.simulators.integrators import check_steps, rk4_step, rk4_trajectory

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0

# Gaussian initial distribution and per-variable standardisation used by SDA (their Lorenz-63 prior/preprocess).
SDA_PRIOR_MEAN = np.array([0.0, 0.0, 25.0])
SDA_PRIOR_COV = np.array([[64.0, 50.0, 0.0], [50.0, 81.0, 0.0], [0.0, 0.0, 75.0]])
SDA_MEAN = np.array([0.0, 0.0, 25.0])
SDA_SCALE = np.array([8.0, 9.0, 8.6])

VARIABLES = ["x", "y", "z"]


def lorenz63_rhs(x: np.ndarray, sigma: float = SIGMA, rho: float = RHO, beta: float = BETA) -> np.ndarray:
    """(s (y - x), x (r - z) - y, x y - b z) on the last axis of ``x`` (size 3)."""
    a, b, c = x[..., 0], x[..., 1], x[..., 2]
    return np.stack((sigma * (b - a), a * (rho - c) - b, a * b - beta * c), axis=-1)


def _initial_states(n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws from SDA's Gaussian N(mean, cov) over the attractor's neighbourhood, shape (n, 3)."""
    return rng.multivariate_normal(SDA_PRIOR_MEAN, SDA_PRIOR_COV, size=n, method="cholesky")


def _dataset(states: np.ndarray, dt: float, attrs: dict[str, float | int | str]) -> xr.Dataset:
    """Wrap (time, trajectory, 3) states as a Dataset with a ``state`` variable (trajectory, time, variable)."""
    n_time = states.shape[0]
    state = xr.DataArray(
        np.ascontiguousarray(states.transpose(1, 0, 2)),
        dims=("trajectory", "time", "variable"),
        coords={
            "trajectory": np.arange(states.shape[1]),
            "time": ("time", dt * np.arange(n_time), {"units": "model time units", "long_name": "time"}),
            "variable": VARIABLES,
        },
        attrs={"units": "1", "long_name": "Lorenz-63 state"},
    )
    return xr.Dataset({"state": state}, attrs=attrs)


def simulate_lorenz63(
    n_steps: int,
    *,
    dt: float = 0.01,
    substeps: int = 1,
    n_trajectories: int = 1,
    burn_in: int = 1000,
    seed: int = 0,
    sigma: float = SIGMA,
    rho: float = RHO,
    beta: float = BETA,
) -> xr.Dataset:
    """Deterministic Lorenz-63 by RK4 (``substeps`` per ``dt``): n_steps + 1 states after ``burn_in`` steps.

    Initial states are drawn from SDA's Gaussian with ``numpy.random.default_rng(seed)``.
    """
    check_steps(dt, n_steps, substeps)
    if n_trajectories < 1 or burn_in < 0:
        raise ValueError(f"need n_trajectories >= 1 and burn_in >= 0, got {n_trajectories} and {burn_in}")
    rng = np.random.default_rng(seed)

    def f(x: np.ndarray) -> np.ndarray:
        return lorenz63_rhs(x, sigma, rho, beta)

    x0 = rk4_trajectory(f, _initial_states(n_trajectories, rng), dt, burn_in, substeps)[-1]
    states = rk4_trajectory(f, x0, dt, n_steps, substeps)
    attrs = {"system": "lorenz63", "sigma": sigma, "rho": rho, "beta": beta, "dt": dt, "substeps": substeps}
    return _dataset(states, dt, {**attrs, "burn_in": burn_in, "seed": seed, "integrator": "rk4"})


@dataclass(frozen=True)
class StochasticLorenz63:
    """Markov chain x_{k+1} = RK4(x_k; dt, substeps) + noise_std eps, eps ~ N(0, I) (SDA: noise_std = sqrt(dt)).

    Rozet & Louppe, "Score-based Data Assimilation" (2023, arXiv:2306.10574).
    """

    dt: float = 0.025
    substeps: int = 1
    noise_std: float | None = None
    sigma: float = SIGMA
    rho: float = RHO
    beta: float = BETA

    @property
    def std(self) -> float:
        """The process-noise standard deviation per component and transition."""
        return float(np.sqrt(self.dt)) if self.noise_std is None else float(self.noise_std)

    def mean(self, x: np.ndarray) -> np.ndarray:
        """E[x_{k+1} | x_k = x]: the deterministic RK4 map over one ``dt``, vectorised over leading axes."""
        h = self.dt / self.substeps
        for _ in range(self.substeps):
            x = rk4_step(lambda v: lorenz63_rhs(v, self.sigma, self.rho, self.beta), x, h)
        return x

    def transition(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A draw of x_{k+1} given x_k = x."""
        return self.mean(x) + self.std * rng.standard_normal(np.shape(x))

    def prior_sample(self, n: int, rng: np.random.Generator, steps: int = 64) -> np.ndarray:
        """SDA's window prior: the Gaussian initial distribution run ``steps`` transitions forward, shape (n, 3)."""
        x = _initial_states(n, rng)
        for _ in range(steps):
            x = self.transition(x, rng)
        return x


def simulate_stochastic_lorenz63(
    n_steps: int,
    *,
    dt: float = 0.025,
    substeps: int = 1,
    noise_std: float | None = None,
    n_trajectories: int = 1,
    burn_in: int = 1024,
    seed: int = 0,
) -> xr.Dataset:
    """Trajectories of :class:`StochasticLorenz63` (SDA setting by default): n_steps + 1 states after burn-in."""
    check_steps(dt, n_steps, substeps)
    if n_trajectories < 1 or burn_in < 0:
        raise ValueError(f"need n_trajectories >= 1 and burn_in >= 0, got {n_trajectories} and {burn_in}")
    chain = StochasticLorenz63(dt=dt, substeps=substeps, noise_std=noise_std)
    rng = np.random.default_rng(seed)
    x = chain.prior_sample(n_trajectories, rng, steps=burn_in)
    states = np.empty((n_steps + 1, n_trajectories, 3))
    states[0] = x
    for k in range(n_steps):
        x = chain.transition(x, rng)
        states[k + 1] = x
    attrs = {"system": "stochastic_lorenz63", "sigma": SIGMA, "rho": RHO, "beta": BETA, "dt": dt}
    attrs |= {"substeps": substeps, "noise_std": chain.std, "burn_in": burn_in, "seed": seed, "integrator": "rk4"}
    return _dataset(states, dt, attrs)
