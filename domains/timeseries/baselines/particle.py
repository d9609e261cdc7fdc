"""Bootstrap particle filter and the backward-simulation particle smoother (FFBS), vectorised in float64 numpy.

Gordon, Salmond & Smith, "Novel approach to nonlinear/non-Gaussian Bayesian state estimation" (IEE Proc. F, 1993);
Godsill, Doucet & West, "Monte Carlo Smoothing for Nonlinear Time Series" (JASA, 2004): draw x_T from the final
filter weights, then x_t with probability proportional to w_t^i p(x_{t+1} | x_t^i), backwards in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sciddiff.domains.timeseries.baselines.predictive import Predictive
from sciddiff.domains.timeseries.baselines.ssm import GaussianStateSpace, check_observations


@dataclass(frozen=True)
class ParticleFilterResult:
    """Particles (T, N, d) and their normalised log-weights (T, N) for the filtering laws p(x_t | y_0..y_t)."""

    particles: np.ndarray
    log_weights: np.ndarray

    def resample(self, t: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """n equally weighted draws (n, d) from the filtering law at time t."""
        return self.particles[t, systematic_resample(self.log_weights[t], n, rng)]


def systematic_resample(log_weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n indices by systematic resampling: one uniform u, points (u + k) / n on the cumulative weights."""
    cdf = np.cumsum(np.exp(log_weights - log_weights.max()))
    points = (rng.random() + np.arange(n)) / n * cdf[-1]
    return np.minimum(np.searchsorted(cdf, points, side="right"), log_weights.size - 1)


def _normalise(log_w: np.ndarray) -> np.ndarray:
    """log_w - log sum exp(log_w)."""
    top = log_w.max()
    return log_w - top - np.log(np.exp(log_w - top).sum())


def bootstrap_particle_filter(
    model: GaussianStateSpace,
    observations: ArrayLike,
    n_particles: int,
    seed: int = 0,
    resample_threshold: float = 0.5,
) -> ParticleFilterResult:
    """Bootstrap filter: propagate with the model, weight by p(y_t | x_t), resample (systematic) when the
    effective sample size falls below ``resample_threshold`` n_particles. Stores the weighted sets before resampling."""
    y = check_observations(model, observations)
    if n_particles < 2:
        raise ValueError(f"the filter needs at least 2 particles, got {n_particles}")
    rng = np.random.default_rng(seed)
    particles = np.empty((y.shape[0], n_particles, model.state_dim))
    log_weights = np.empty((y.shape[0], n_particles))
    x = model.prior_sample(n_particles, rng)
    log_w = np.full(n_particles, -np.log(n_particles))
    for t in range(y.shape[0]):
        if t > 0:
            if 1.0 / np.exp(2 * log_w).sum() < resample_threshold * n_particles:
                x = x[systematic_resample(log_w, n_particles, rng)]
                log_w = np.full(n_particles, -np.log(n_particles))
            x = model.sample_transition(x, rng)
        log_w = _normalise(log_w + model.log_likelihood(x, y[t]))
        particles[t], log_weights[t] = x, log_w
    return ParticleFilterResult(particles, log_weights)


def backward_simulation(
    model: GaussianStateSpace, result: ParticleFilterResult, n_trajectories: int, seed: int = 0, chunk: int = 64
) -> np.ndarray:
    """FFBS trajectories (n_trajectories, T, d): O(n_trajectories N) per step, in chunks of ``chunk`` trajectories.

    Needs Gaussian process noise (q > 0): the backward weights are w_t^i N(x_{t+1}; f(x_t^i), diag q^2), i.e.
    log w_t^i + <x_{t+1}, f(x_t^i)>_q - |f(x_t^i)|_q^2 / 2 up to a constant per trajectory.
    """
    q = model.process_std
    if not (q > 0).all():
        raise ValueError(f"backward simulation needs process noise in every component, got process_std {q}")
    rng = np.random.default_rng(seed)
    n_time, n_particles = result.log_weights.shape
    out = np.empty((n_trajectories, n_time, model.state_dim))
    out[:, -1] = result.particles[-1, rng.choice(n_particles, n_trajectories, p=_weights(result, -1))]
    for t in range(n_time - 2, -1, -1):
        mapped = model.transition(result.particles[t])  # f(x_t^i), (N, d)
        base = result.log_weights[t] - 0.5 * ((mapped / q) ** 2).sum(axis=1)
        scaled = (mapped / q**2).T
        for start in range(0, n_trajectories, chunk):
            logits = out[start : start + chunk, t + 1] @ scaled + base
            out[start : start + chunk, t] = result.particles[t, _inverse_cdf_rows(logits, rng)]
    return out


def _inverse_cdf_rows(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of unnormalised log-probabilities (M, N), by a single flattened search.

    Each row's cumulative distribution is scaled to (0, 1] and shifted by its row index, so one searchsorted
    over the flat array inverts every row at once. ``logits`` is overwritten.
    """
    m, n = logits.shape
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    np.cumsum(logits, axis=1, out=logits)
    logits /= logits[:, -1:]
    rows = np.arange(m)
    logits += rows[:, None]
    index = np.searchsorted(logits.ravel(), rng.random(m) + rows, side="right") - rows * n
    return np.minimum(index, n - 1)


def _weights(result: ParticleFilterResult, t: int) -> np.ndarray:
    """Normalised weights at time t, summing to 1 in float64."""
    w = np.exp(result.log_weights[t])
    return w / w.sum()


def particle_smoother(
    model: GaussianStateSpace,
    observations: ArrayLike,
    n_particles: int,
    n_trajectories: int,
    seed: int = 0,
) -> Predictive:
    """Smoothing posterior p(x_0..x_{T-1} | y) by bootstrap filter + backward simulation (FFBS), as draws."""
    result = bootstrap_particle_filter(model, observations, n_particles, seed)
    samples = backward_simulation(model, result, n_trajectories, seed + 1)
    return Predictive(samples, mean=samples.mean(axis=0), variance=samples.var(axis=0, ddof=1))
