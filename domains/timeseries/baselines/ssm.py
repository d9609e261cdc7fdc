"""Discrete-time state-space models with Gaussian process and observation noise, shared by the filters/smoothers.

x_0 ~ p_0;  x_{t+1} = f(x_t) + N(0, diag q^2);  y_t = H x_t + N(0, diag r^2), with NaN entries of y unobserved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.simulators.integrators import rk4_step
from sciddiff.domains.timeseries.simulators.lorenz63 import SDA_SCALE, StochasticLorenz63
from sciddiff.domains.timeseries.simulators.lorenz96 import lorenz96_rhs

Sampler = Callable[[int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class GaussianStateSpace:
    """f (vectorised (N, d) -> (N, d)), process std q (d,), observation matrix H (p, d), obs std r (p,), prior."""

    transition: Callable[[np.ndarray], np.ndarray]
    process_std: np.ndarray
    obs_matrix: np.ndarray
    obs_std: np.ndarray
    prior_sample: Sampler

    def __post_init__(self) -> None:
        h = np.atleast_2d(np.asarray(self.obs_matrix, dtype=np.float64))
        object.__setattr__(self, "obs_matrix", h)
        object.__setattr__(self, "process_std", np.broadcast_to(np.asarray(self.process_std, float), h.shape[1:]))
        object.__setattr__(self, "obs_std", np.broadcast_to(np.asarray(self.obs_std, float), h.shape[:1]))
        if (self.process_std < 0).any() or not (self.obs_std > 0).all():
            raise ValueError(f"need process_std >= 0 and obs_std > 0, got {self.process_std} and {self.obs_std}")

    @property
    def state_dim(self) -> int:
        """d, the state dimension."""
        return self.obs_matrix.shape[1]

    def sample_transition(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draws of x_{t+1} given each row of x (N, d)."""
        return self.transition(x) + self.process_std * rng.standard_normal(x.shape)

    def log_likelihood(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """log p(y | x) for each row of x (N, d), over the observed (finite) entries of y (p,); 0 if none."""
        observed = np.isfinite(y)
        if not observed.any():
            return np.zeros(x.shape[0])
        z = (x @ self.obs_matrix[observed].T - y[observed]) / self.obs_std[observed]
        return -0.5 * (z**2).sum(axis=1) - np.log(np.sqrt(2 * np.pi) * self.obs_std[observed]).sum()

    def simulate(self, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        """A trajectory x_0, ..., x_{n_steps} of the model, shape (n_steps + 1, d)."""
        x = self.prior_sample(1, rng)
        out = [x[0]]
        for _ in range(n_steps):
            x = self.sample_transition(x, rng)
            out.append(x[0])
        return np.stack(out)

    def observe(self, states: np.ndarray, rng: np.random.Generator, every: int = 1) -> np.ndarray:
        """y_t = H x_t + noise at t = 0, every, 2 every, ...; NaN rows elsewhere. States (T, d) -> (T, p)."""
        y = states @ self.obs_matrix.T + self.obs_std * rng.standard_normal((states.shape[0], self.obs_std.size))
        y[np.arange(states.shape[0]) % every != 0] = np.nan
        return y


def check_observations(model: GaussianStateSpace, y: ArrayLike) -> np.ndarray:
    """``y`` as float64 (T, p) with p the model's observation size; inf is rejected, NaN means unobserved."""
    y = np.asarray(y, dtype=np.float64)
    p = model.obs_matrix.shape[0]
    if y.ndim != 2 or y.shape[1] != p:
        raise ValueError(f"observations have shape {y.shape}; the model expects (time, {p})")
    if np.isinf(y).any():
        raise ValueError(f"observations hold inf at time index {np.argwhere(np.isinf(y))[0][0]}; use NaN for gaps")
    return y


def sda_lorenz63(obs_std: float) -> GaussianStateSpace:
    """SDA's Lorenz-63 assimilation problem: the stochastic chain (dt = 0.025, noise sqrt(dt)) observed through
    the standardised first variable, y_t = x_t / 8 + N(0, obs_std^2) (SDA uses 0.05 every 8 steps, 0.25 every step).

    The prior of the window's first state is SDA's: their Gaussian run 64 transitions forward.
    Rozet & Louppe, "Score-based Data Assimilation" (2023, arXiv:2306.10574).
    """
    chain = StochasticLorenz63()
    h = np.zeros((1, 3))
    h[0, 0] = 1.0 / SDA_SCALE[0]  # SDA_MEAN[0] = 0, so standardising x is this linear map
    return GaussianStateSpace(chain.mean, chain.std, h, obs_std, lambda n, rng: chain.prior_sample(n, rng))


def lorenz96_ssm(
    prior_sample: Sampler,
    *,
    n_variables: int = 40,
    obs_std: float = 1.0,
    dt: float = 0.05,
    forcing: float = 8.0,
    process_std: float = 0.0,
) -> GaussianStateSpace:
    """Lorenz-96 stepped by one RK4 step of ``dt`` per transition, every variable observed with noise ``obs_std``.

    ``prior_sample(n, rng)`` gives (n, n_variables) initial states, e.g. draws from a long simulated trajectory.
    """

    def step(x: np.ndarray) -> np.ndarray:
        return rk4_step(lambda v: lorenz96_rhs(v, forcing), x, dt)

    return GaussianStateSpace(step, process_std, np.eye(n_variables), obs_std, prior_sample)
