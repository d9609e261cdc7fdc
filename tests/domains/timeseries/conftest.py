"""A small linear-Gaussian state-space model and its exact posterior by dense Gaussian conditioning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sciddiff.domains.timeseries.baselines import GaussianStateSpace


@dataclass(frozen=True)
class LinearGaussian:
    """x_0 ~ N(m0, P0), x_{t+1} = A x_t + N(0, diag q^2), y_t = H x_t + N(0, diag r^2)."""

    a: np.ndarray
    q: np.ndarray
    h: np.ndarray
    r: np.ndarray
    m0: np.ndarray
    p0: np.ndarray

    def model(self) -> GaussianStateSpace:
        return GaussianStateSpace(
            lambda x: x @ self.a.T,
            self.q,
            self.h,
            self.r,
            lambda n, rng: rng.multivariate_normal(self.m0, self.p0, size=n),
        )

    def posterior(self, y: np.ndarray, extra: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Exact mean (T + extra, d) and covariance (T + extra, d, T + extra, d) of the states given y (T, p)."""
        d, n = self.a.shape[0], y.shape[0] + extra
        powers = [np.linalg.matrix_power(self.a, k) for k in range(n)]
        # x = M z with z = (x_0 - m0, w_0, ..., w_{n-2}) independent: x_t = A^t (x_0 - m0) + sum_k A^(t-1-k) w_k
        m = np.zeros((n * d, n * d))
        for t in range(n):
            m[t * d : (t + 1) * d, :d] = powers[t]
            for k in range(t):
                m[t * d : (t + 1) * d, (k + 1) * d : (k + 2) * d] = powers[t - 1 - k]
        s = np.zeros((n * d, n * d))
        s[:d, :d] = self.p0
        for k in range(1, n):
            s[k * d : (k + 1) * d, k * d : (k + 1) * d] = np.diag(self.q**2)
        cov = m @ s @ m.T
        mean = np.concatenate([powers[t] @ self.m0 for t in range(n)])
        rows, values, noise = [], [], []
        for t in range(y.shape[0]):
            for j in np.flatnonzero(np.isfinite(y[t])):
                row = np.zeros(n * d)
                row[t * d : (t + 1) * d] = self.h[j]
                rows.append(row)
                values.append(y[t, j])
                noise.append(self.r[j] ** 2)
        g = np.array(rows)
        gain = cov @ g.T @ np.linalg.inv(g @ cov @ g.T + np.diag(noise))
        post_mean = mean + gain @ (np.array(values) - g @ mean)
        post_cov = cov - gain @ g @ cov
        return post_mean.reshape(n, d), post_cov.reshape(n, d, n, d)


@pytest.fixture
def linear_gaussian() -> LinearGaussian:
    return LinearGaussian(
        a=np.array([[0.9, 0.3], [-0.2, 0.8]]),
        q=np.array([0.5, 0.4]),
        h=np.array([[1.0, 0.0]]),
        r=np.array([0.6]),
        m0=np.array([1.0, -1.0]),
        p0=np.diag([1.0, 2.0]),
    )
