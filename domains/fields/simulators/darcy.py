"""Steady Darcy flow -div(a grad u) = f on the unit square with u = 0 on the boundary, by finite differences.

Coefficient: a Neumann Gaussian random field with covariance (-Laplacian + 9 I)^-2 thresholded at 0 to 12
(positive) and 3 (negative), the convention of Li et al., "Fourier Neural Operator for Parametric Partial
Differential Equations" (2020), arXiv:2010.08895, also used by Huang et al., "DiffusionPDE: Generative
PDE-Solving Under Partial Observation" (2024), arXiv:2406.17763.

Discretisation: nodes x_j = j h, y_i = i h, h = 1 / (size - 1), boundary nodes included (u = 0 there); the
five-point flux form sum over the four faces of a_face (u_node - u_neighbour) / h^2 = f_node, with the face
coefficient the harmonic mean 2 a_p a_q / (a_p + a_q) of its two nodes (flux continuity across jumps).
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import xarray as xr
from sciddiff.domains.fields.simulators.grf import neumann_grf

from sciddiff.train.cache import cached


def _check_coefficient(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 3:
        raise ValueError(f"the Darcy coefficient must be a square (size, size) grid with size >= 3, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"the Darcy coefficient has {int((~np.isfinite(a)).sum())} non-finite values")
    if not np.all(a > 0):
        raise ValueError(f"the Darcy coefficient must be positive; its minimum is {a.min()}")
    return a


def harmonic_mean(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """2 p q / (p + q), elementwise."""
    return 2.0 * p * q / (p + q)


def darcy_matrix(a: np.ndarray) -> scipy.sparse.csr_matrix:
    """The (m^2, m^2) matrix of -div(a grad .) on the m = size - 2 interior nodes (row-major), zero Dirichlet."""
    a = _check_coefficient(a)
    size = a.shape[0]
    m, h2 = size - 2, (1.0 / (size - 1)) ** 2
    idx = np.arange(m * m).reshape(m, m)
    centre = a[1:-1, 1:-1]
    diag = np.zeros((m, m))
    rows, cols, vals = [], [], []
    for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        neighbour = a[1 + di : size - 1 + di, 1 + dj : size - 1 + dj]
        face = harmonic_mean(centre, neighbour) / h2
        diag += face
        ii, jj = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
        ni, nj = ii + di, jj + dj
        inside = (ni >= 0) & (ni < m) & (nj >= 0) & (nj < m)  # boundary neighbours are zero
        rows.append(idx[inside])
        cols.append(idx[ni[inside], nj[inside]])
        vals.append(-face[inside])
    rows.append(idx.ravel())
    cols.append(idx.ravel())
    vals.append(diag.ravel())
    matrix = scipy.sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), (m * m,) * 2)
    return matrix.tocsr()


def solve_darcy(a: np.ndarray, f: float | np.ndarray = 1.0) -> np.ndarray:
    """u on the (size, size) node grid solving -div(a grad u) = f, u = 0 on the boundary (f at the nodes)."""
    a = _check_coefficient(a)
    size = a.shape[0]
    rhs = np.broadcast_to(np.asarray(f, dtype=np.float64), a.shape)[1:-1, 1:-1]
    u = np.zeros_like(a)
    u[1:-1, 1:-1] = scipy.sparse.linalg.spsolve(darcy_matrix(a).tocsc(), rhs.ravel()).reshape(size - 2, size - 2)
    return u


def threshold_coefficient(field: np.ndarray, high: float = 12.0, low: float = 3.0) -> np.ndarray:
    """``high`` where field >= 0, ``low`` elsewhere."""
    return np.where(np.asarray(field) >= 0, high, low)


def project_darcy(fields: np.ndarray, high: float = 12.0, low: float = 3.0, f: float = 1.0) -> np.ndarray:
    """(..., 2, size, size) stacked (a, u) fields projected onto the data's exact constraints: a thresholded
    midway to {``high``, ``low``} (the support of the coefficient), u its FD solution, so -div(a grad u) = f holds
    to solver precision. Applied to posterior samples of a it pushes them through the PDE: p(u | y) is the image
    of p(a | y) under the solve."""
    x = np.asarray(fields, dtype=np.float64)
    if x.ndim < 3 or x.shape[-3] != 2:
        raise ValueError(f"project_darcy needs stacked (a, u) fields shaped (..., 2, size, size), got {x.shape}")
    flat = x.reshape(-1, *x.shape[-3:])
    a = threshold_coefficient(flat[:, 0] - 0.5 * (high + low), high, low)
    u = np.stack([solve_darcy(ai, f) for ai in a])
    return np.stack([a, u], axis=1).reshape(x.shape)


def node_coordinates(size: int) -> np.ndarray:
    """The node coordinates i / (size - 1), i = 0..size-1."""
    return np.linspace(0.0, 1.0, size)


def darcy_dataset(
    n: int, size: int, seed: int, alpha: float = 2.0, tau: float = 3.0, high: float = 12.0, low: float = 3.0
) -> xr.Dataset:
    """n coefficient/solution pairs on a size x size node grid: variables ``a`` and ``u`` with dims
    (sample, y, x); source term f = 1."""
    if size < 3:
        raise ValueError(f"Darcy flow needs size >= 3 nodes per axis, got size={size}")
    rng = np.random.default_rng(seed)
    a = threshold_coefficient(neumann_grf(n, size, rng, alpha, tau), high, low)
    u = np.stack([solve_darcy(ai) for ai in a]) if n else np.zeros((0, size, size))
    coord = node_coordinates(size)
    dims = ("sample", "y", "x")
    return xr.Dataset(
        {
            "a": (dims, a, {"long_name": "permeability (diffusion coefficient)", "units": "1"}),
            "u": (dims, u, {"long_name": "pressure (solution of -div(a grad u) = 1)", "units": "1"}),
        },
        coords={
            "sample": np.arange(n),
            "y": ("y", coord, {"units": "1", "long_name": "y (unit square)"}),
            "x": ("x", coord, {"units": "1", "long_name": "x (unit square)"}),
        },
        attrs={"title": "Darcy flow, FNO convention", "seed": seed, "alpha": alpha, "tau": tau},
    )


def load_darcy(
    n: int,
    size: int,
    seed: int,
    alpha: float = 2.0,
    tau: float = 3.0,
    high: float = 12.0,
    low: float = 3.0,
    directory: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """:func:`darcy_dataset`, cached as netCDF (see :func:`sciddiff.domains.fields.cache.cached`)."""
    params = {"n": n, "size": size, "seed": seed, "alpha": alpha, "tau": tau, "high": high, "low": low}
    return cached("darcy", params, lambda: darcy_dataset(n, size, seed, alpha, tau, high, low), directory)
