"""Exact-prior posterior of a thresholded Gaussian random field given the signs at sensors: the reference that
knows the Darcy coefficient's true prior (a = high where z >= 0, low elsewhere, z ~ N(0, C) with the Neumann
covariance of :mod:`sciddiff.domains.fields.simulators.grf`).

With the signs s_i of z at the sensors S known (the coefficient's two values are far apart compared with the
sensor noise), p(z | s) = p(z_S | s) p(z_R | z_S):

- z_S | s is N(0, C_SS) truncated to the orthant of the signs, sampled by Gibbs sweeps over its coordinates,
  each a one-dimensional truncated normal with mean -sum_j Q_ij z_j / Q_ii and variance 1 / Q_ii (Q = C_SS^-1);
  Geweke, "Efficient simulation from the multivariate normal and Student-t distributions subject to linear
  constraints and the evaluation of constraint probabilities" (1991), Computing Science and Statistics 23;
- z_R | z_S is the Gaussian conditional (kriging mean C_RS C_SS^-1 z_S, covariance C_RR - C_RS C_SS^-1 C_SR).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from sciddiff.domains.fields.simulators.grf import neumann_basis, neumann_eigenvalues
from scipy.special import ndtr, ndtri


def neumann_covariance(size: int, alpha: float = 2.0, tau: float = 3.0, zero_mean: bool = True) -> np.ndarray:
    """The (size^2, size^2) covariance of :func:`neumann_grf` fields flattened row-major:
    C = (Phi kron Phi) diag(lambda) (Phi kron Phi)^T."""
    phi = neumann_basis(size)
    lam = neumann_eigenvalues(size, alpha, tau)
    if zero_mean:
        lam[0, 0] = 0.0
    basis = np.kron(phi, phi)  # [(i, j), (k, l)] = Phi[i, k] Phi[j, l]
    return (basis * lam.reshape(-1)) @ basis.T


def orthant_gibbs(
    cov: np.ndarray, signs: np.ndarray, n: int, rng: np.random.Generator, burn: int = 200, thin: int = 5
) -> np.ndarray:
    """(n, m) draws of N(0, cov) truncated to sign(z_i) = signs_i (+1 or -1), by Gibbs sweeps (``burn`` sweeps
    first, then one draw every ``thin`` sweeps)."""
    signs = np.asarray(signs, dtype=np.float64)
    m = len(signs)
    if cov.shape != (m, m) or not np.all(np.abs(signs) == 1):
        raise ValueError(f"need an ({m}, {m}) covariance and signs of +-1, got {cov.shape} and {np.unique(signs)}")
    q = np.linalg.inv(cov)
    var = 1.0 / np.diag(q)
    z = signs * np.sqrt(np.diag(cov))  # a point inside the orthant
    out = np.empty((n, m))
    for sweep in range(burn + n * thin):
        for i in range(m):
            mean = z[i] - var[i] * (q[i] @ z)  # -sum_{j != i} Q_ij z_j / Q_ii
            sd = np.sqrt(var[i])
            # one-sided truncated normal by inverse CDF, written on the tail side so it stays exact far out:
            # x > l: x = -ndtri(U ndtr(-l)); x < h: x = ndtri(U ndtr(h)); here l = h = -mean / sd
            edge = -mean / sd
            u = rng.random()
            x = -ndtri(u * ndtr(-edge)) if signs[i] > 0 else ndtri(u * ndtr(edge))
            z[i] = mean + sd * x
        if sweep >= burn and (sweep - burn) % thin == thin - 1:
            out[(sweep - burn) // thin] = z
    return out


def thresholded_grf_posterior(
    sensors: np.ndarray,
    signs: np.ndarray,
    size: int,
    n: int,
    seed: int = 0,
    alpha: float = 2.0,
    tau: float = 3.0,
    thin: int = 10,
) -> np.ndarray:
    """(n, size, size) posterior draws of the latent field z given the signs (+-1) of z at the flat ``sensors``
    indices (Gibbs draws of the sensor values ``thin`` sweeps apart); threshold them at 0 for the coefficient."""
    sensors = np.asarray(sensors, dtype=np.int64)
    if sensors.ndim != 1 or len(sensors) != len(signs) or len(np.unique(sensors)) != len(sensors):
        raise ValueError(f"need distinct flat sensor indices, one sign each; got {len(sensors)} and {len(signs)}")
    if sensors.min() < 0 or sensors.max() >= size * size:
        raise ValueError(f"sensor indices must lie in [0, {size * size}), got {sensors.min()}..{sensors.max()}")
    rng = np.random.default_rng(seed)
    cov = neumann_covariance(size, alpha, tau)
    rest = np.setdiff1d(np.arange(size * size), sensors)
    c_ss, c_rs = cov[np.ix_(sensors, sensors)], cov[np.ix_(rest, sensors)]
    z_s = orthant_gibbs(c_ss, signs, n, rng, thin=thin)
    gain = scipy.linalg.solve(c_ss, c_rs.T, assume_a="pos").T  # C_RS C_SS^-1
    cond = cov[np.ix_(rest, rest)] - gain @ c_rs.T
    w, v = np.linalg.eigh(0.5 * (cond + cond.T))  # smooth fields: many eigenvalues at rounding level
    root = v * np.sqrt(np.clip(w, 0.0, None))
    z = np.empty((n, size * size))
    z[:, sensors] = z_s
    z[:, rest] = z_s @ gain.T + rng.standard_normal((n, len(rest))) @ root.T
    return z.reshape(n, size, size)
