"""Distribution metrics of generated windows against held-out windows, per channel in units of the scale."""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance
from torch import Tensor


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean autocorrelation over windows and channels of (N, C, L) data at lags 0..max_lag (NaN ignored)."""
    z = x - np.nanmean(x, axis=(0, 2), keepdims=True)
    var = np.nanmean(z * z)
    return np.array([np.nanmean(z[..., lag:] * z[..., : z.shape[-1] - lag]) / var for lag in range(max_lag + 1)])


def sample_metrics(samples: Tensor, reference: Tensor, scale: Tensor) -> dict[str, float]:
    """Marginal Wasserstein-1, mean and std errors (per channel, over scale, averaged) and the largest error of
    the autocorrelation at lags up to L / 4, for samples and reference windows (N, C, L) in physical units."""
    x = samples.detach().cpu().double().numpy()
    r = reference.detach().cpu().double().numpy()
    s = scale.detach().cpu().double().numpy()
    w1, mean_err, std_err = [], [], []
    for c in range(x.shape[1]):
        rc = r[:, c].reshape(-1)
        rc = rc[np.isfinite(rc)]
        if rc.size == 0:
            continue
        xc = x[:, c].reshape(-1)
        w1.append(wasserstein_distance(xc, rc) / s[c])
        mean_err.append(abs(xc.mean() - rc.mean()) / s[c])
        std_err.append(abs(xc.std() - rc.std()) / s[c])
    lags = max(1, x.shape[-1] // 4)
    acf_err = np.abs(autocorrelation(x, lags) - autocorrelation(r, lags)).max()
    return {
        "marginal_w1": float(np.mean(w1)),
        "mean_error": float(np.mean(mean_err)),
        "std_error": float(np.mean(std_err)),
        "autocorrelation_error": float(acf_err),
    }
