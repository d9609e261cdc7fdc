"""Fréchet distance between Gaussians fitted to log-mel frames (the statistic of FID / FAD).

d^2 = ||mu_1 - mu_2||^2 + tr(C_1 + C_2 - 2 (C_1^{1/2} C_2 C_1^{1/2})^{1/2}), the squared 2-Wasserstein distance of
two Gaussians (Dowson & Landau, "The Fréchet distance between multivariate normal distributions", 1982); applied to
per-frame audio features as in Kilgour et al., "Fréchet Audio Distance" (2019, arXiv:1812.08466), here on log-mel
frames directly.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _psd_sqrt(cov: Tensor) -> Tensor:
    values, vectors = torch.linalg.eigh(cov)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def gaussian_frechet_distance(mean1: Tensor, cov1: Tensor, mean2: Tensor, cov2: Tensor) -> float:
    """Squared Fréchet distance d^2 between N(mean1, cov1) and N(mean2, cov2) (float64, symmetric PSD covs)."""
    d = mean1.shape[-1]
    if mean2.shape != (d,) or mean1.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(
            f"means must be ({d},) and covariances ({d}, {d}); got {tuple(mean1.shape)}, {tuple(cov1.shape)}, "
            f"{tuple(mean2.shape)}, {tuple(cov2.shape)}"
        )
    m1, c1, m2, c2 = (a.to(torch.float64) for a in (mean1, cov1, mean2, cov2))
    root = _psd_sqrt(c1)
    cross = torch.linalg.eigvalsh(root @ c2 @ root).clamp(min=0).sqrt().sum()
    return float((m1 - m2).pow(2).sum() + torch.trace(c1) + torch.trace(c2) - 2.0 * cross)


def frame_statistics(log_mel: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (n_mels,) and covariance (n_mels, n_mels) of all frames of log-mel spectrograms (..., n_mels, time)."""
    frames = log_mel.to(torch.float64).movedim(-1, -2).reshape(-1, log_mel.shape[-2])
    if frames.shape[0] < 2:
        raise ValueError(f"need at least 2 frames for a covariance, got {frames.shape[0]}")
    return frames.mean(0), torch.cov(frames.T)


def frechet_log_mel_distance(reference: Tensor, estimate: Tensor) -> float:
    """d^2 between Gaussians fitted to the frames of two sets of log-mel spectrograms (..., n_mels, time)."""
    if reference.shape[-2] != estimate.shape[-2]:
        raise ValueError(f"reference has {reference.shape[-2]} mel bands, estimate {estimate.shape[-2]}")
    return gaussian_frechet_distance(*frame_statistics(reference), *frame_statistics(estimate))
