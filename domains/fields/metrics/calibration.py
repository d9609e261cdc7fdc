"""Pixel-wise calibration of posterior samples: standardised errors and coverage of central intervals.

Shapes: truth (B, *e), samples (B, L, *e) with L posterior samples per instance. For a calibrated posterior
and L samples, z = (x_true - mean) / std (sample mean, unbiased sample std) satisfies z sqrt(L / (L + 1))
~ Student t with L - 1 degrees of freedom when the posterior is Gaussian, so std(z) tends to
:func:`calibrated_z_std` (L), not 1, at finite L.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


def _check(truth: Tensor, samples: Tensor) -> tuple[Tensor, Tensor]:
    truth, samples = torch.as_tensor(truth).to(torch.float64), torch.as_tensor(samples).to(torch.float64)
    if samples.dim() != truth.dim() + 1 or samples.shape[0] != truth.shape[0] or samples.shape[2:] != truth.shape[1:]:
        raise ValueError(
            f"samples of shape {tuple(samples.shape)} do not match truth {tuple(truth.shape)}; "
            "expected samples (B, L, *e) for truth (B, *e)"
        )
    if samples.shape[1] < 2:
        raise ValueError(f"calibration needs at least 2 posterior samples per instance, got {samples.shape[1]}")
    if not bool(torch.isfinite(samples).all()):
        raise ValueError("posterior samples have non-finite values")
    return truth, samples


def standardized_errors(truth: Tensor, samples: Tensor) -> Tensor:
    """(truth - sample mean) / sample std (unbiased), shape (B, *e); raises where the samples do not vary."""
    truth, samples = _check(truth, samples)
    std = samples.std(1)
    if bool((std == 0).any()):
        raise ValueError(
            f"posterior samples have zero spread at {int((std == 0).sum())} pixels; pass a mask that excludes them"
        )
    return (truth - samples.mean(1)) / std


def interval_coverage(truth: Tensor, samples: Tensor, level: float = 0.9) -> Tensor:
    """Whether each truth pixel lies in the central ``level`` interval of its samples (linear-interpolated
    empirical quantiles (1 - level) / 2 and (1 + level) / 2), boolean (B, *e)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    truth, samples = _check(truth, samples)
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    lo, hi = torch.quantile(samples, q, dim=1)
    return (truth >= lo) & (truth <= hi)


def calibrated_z_std(n_samples: int) -> float:
    """sqrt((1 + 1/L) (L - 1) / (L - 3)): std of standardised errors for L samples of a calibrated Gaussian
    posterior (L > 3)."""
    if n_samples <= 3:
        raise ValueError(f"the standardised-error std is finite only for more than 3 samples, got {n_samples}")
    n = n_samples
    return math.sqrt((1 + 1 / n) * (n - 1) / (n - 3))


@dataclass(frozen=True)
class CalibrationSummary:
    """Mean and std of standardised errors, fraction covered by the central ``level`` intervals, counts."""

    z_mean: float
    z_std: float
    coverage: float
    level: float
    n_pixels: int
    n_samples: int


def calibration_summary(
    truth: Tensor, samples: Tensor, level: float = 0.9, mask: Tensor | None = None
) -> CalibrationSummary:
    """Pool standardised errors and interval coverage over all instances and pixels (those where ``mask`` of
    shape (B, *e) or e is true)."""
    truth, samples = _check(truth, samples)
    keep = torch.ones_like(truth, dtype=torch.bool) if mask is None else torch.as_tensor(mask).bool()
    try:
        keep = keep.expand_as(truth)
    except RuntimeError:
        raise ValueError(f"mask of shape {tuple(keep.shape)} does not match truth {tuple(truth.shape)}") from None
    if not bool(keep.any()):
        raise ValueError("the mask selects no pixels")
    picked = samples.movedim(1, -1)[keep]  # (n, L)
    z = standardized_errors(truth[keep][:, None], picked[:, :, None])
    covered = interval_coverage(truth, samples, level)[keep]
    n, lsamp = picked.shape
    return CalibrationSummary(float(z.mean()), float(z.std()), float(covered.to(torch.float64).mean()), level, n, lsamp)
