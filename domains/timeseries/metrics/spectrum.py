"""Statistics of long rollouts of spatio-temporal fields against a reference: the time-averaged energy spectrum
over spatial wavenumbers and the marginal distribution of the values."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import wasserstein_distance


def energy_spectrum(fields: ArrayLike) -> np.ndarray:
    """E(k) = mean over all leading axes of |u_hat_k|^2 for fields (..., N) on a periodic grid, k = 0..N/2, with
    u_hat = rfft(u) / N (so a mode a cos(2 pi k x / L), 0 < k < N/2, has E(k) = a^2 / 4)."""
    u = np.asarray(fields, dtype=np.float64)
    if u.ndim < 1 or u.shape[-1] < 2 or not np.isfinite(u).all():
        raise ValueError(f"fields must be finite and shaped (..., N >= 2), got shape {u.shape}")
    coefficients = np.fft.rfft(u, axis=-1) / u.shape[-1]
    return (np.abs(coefficients) ** 2).reshape(-1, coefficients.shape[-1]).mean(axis=0)


def log_spectrum_error(fields: ArrayLike, reference: ArrayLike, k_max: int | None = None) -> float:
    """||log E - log E_ref|| / ||log E_ref|| over wavenumbers 1..k_max (default N / 3, the dealiased band)."""
    e, e_ref = energy_spectrum(fields), energy_spectrum(reference)
    if e.shape != e_ref.shape:
        raise ValueError(f"spectra over {e.size} and {e_ref.size} wavenumbers: the grids differ")
    k_max = (2 * (e.size - 1)) // 3 if k_max is None else k_max
    if not 1 <= k_max < e.size:
        raise ValueError(f"k_max must be between 1 and {e.size - 1}, got {k_max}")
    a, b = np.log(e[1 : k_max + 1]), np.log(e_ref[1 : k_max + 1])
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def marginal_w1(values: ArrayLike, reference: ArrayLike) -> float:
    """Wasserstein-1 between the pooled values and the pooled reference values, over the reference's std."""
    x, r = np.asarray(values, dtype=np.float64).reshape(-1), np.asarray(reference, dtype=np.float64).reshape(-1)
    if not (np.isfinite(x).all() and np.isfinite(r).all()):
        raise ValueError("values and reference must be finite")
    return float(wasserstein_distance(x, r) / r.std())
