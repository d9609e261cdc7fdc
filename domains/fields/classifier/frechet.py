"""The Frechet distance between Gaussians fitted to two feature sets (the FID recipe on any feature extractor).

d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Dowson & Landau, "The Frechet Distance between
Multivariate Normal Distributions", J. Multivariate Anal. 1982; Heusel et al., "GANs Trained by a Two Time-Scale
Update Rule Converge to a Local Nash Equilibrium" (2017), arXiv:1706.08500.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from torch import Tensor


def gaussian_frechet_distance(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """The squared Frechet (2-Wasserstein) distance between N(mu_a, cov_a) and N(mu_b, cov_b)."""
    mu_a, mu_b = np.atleast_1d(np.asarray(mu_a, np.float64)), np.atleast_1d(np.asarray(mu_b, np.float64))
    cov_a, cov_b = np.atleast_2d(np.asarray(cov_a, np.float64)), np.atleast_2d(np.asarray(cov_b, np.float64))
    d = mu_a.shape[0]
    if mu_b.shape != (d,) or cov_a.shape != (d, d) or cov_b.shape != (d, d):
        raise ValueError(
            f"Gaussian parameters disagree: means {mu_a.shape}, {mu_b.shape}, covariances {cov_a.shape}, {cov_b.shape}"
        )
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(root)):  # singular product: regularise as in the reference FID code
        eps = 1e-6 * np.eye(d)
        root = scipy.linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    root = np.real(root)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


def frechet_distance(feats_a: Tensor | np.ndarray, feats_b: Tensor | np.ndarray) -> float:
    """The squared Frechet distance between Gaussians with the sample means and covariances (ddof 1) of two
    (N, d) feature sets."""
    a = feats_a.detach().cpu().double().numpy() if isinstance(feats_a, Tensor) else np.asarray(feats_a, np.float64)
    b = feats_b.detach().cpu().double().numpy() if isinstance(feats_b, Tensor) else np.asarray(feats_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (N, d) with the same d, got {a.shape} and {b.shape}")
    if min(a.shape[0], b.shape[0]) < 2:
        raise ValueError(f"each feature set needs at least 2 rows, got {a.shape[0]} and {b.shape[0]}")
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
