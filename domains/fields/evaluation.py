"""Scores of the fields domain: generated samples against held-out fields, and posterior samples against truths."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from sciddiff.domains.fields.metrics import (
    calibrated_z_std,
    calibration_summary,
    coefficient_error_rate,
    psnr,
    relative_l2,
    ssim,
)
from sciddiff.domains.fields.pde import darcy_residual
from torch import Tensor

from sciddiff.calibration import projections, sbc_ranks


def generation_metrics(samples: Tensor, reference: Tensor, source: str, variables: Sequence[str]) -> dict[str, float]:
    """Per channel: error of the pixel-wise mean and of the pixel-wise std of the samples, relative to the
    reference's std; digits: Frechet distance on the project's classifier features; Darcy: the median PDE
    residual of the samples relative to the source term (the reference's own is ~0)."""
    samples, reference = samples.double(), reference.double()
    out = {}
    for i, v in enumerate(variables):
        s, r = samples[:, i], reference[:, i]
        spread = float(r.std())
        out[f"{v}_mean_error"] = float((s.mean(0) - r.mean(0)).abs().mean()) / spread
        out[f"{v}_std_error"] = float((s.std(0) - r.std(0)).abs().mean()) / spread
    if source == "digits":
        from sciddiff.domains.fields.classifier import frechet_distance, load_digit_classifier

        with torch.inference_mode(False), torch.enable_grad():  # trained on first use, even inside validation
            clf, _ = load_digit_classifier()
        with torch.no_grad():
            out["frechet_classifier"] = frechet_distance(clf.features(samples.float()), clf.features(reference.float()))
    if source == "darcy":
        res = darcy_residual(samples[:, 0], samples[:, 1]).reshape(len(samples), -1)
        out["pde_residual_rel_median"] = float(res.norm(dim=1).median() / math.sqrt(res.shape[1]))
    return out


def point_metrics(
    truth: Tensor, estimate: Tensor, data_range: float | None = None, darcy_channel: int | None = None
) -> dict[str, float]:
    """Point estimates (B, C, H, W) against truths (B, C, H, W), averaged over the batch: PSNR (``data_range``
    default: the truths' range), relative L2 ||x - x*|| / ||x*||, SSIM (grids of at least 11 x 11) and, with
    ``darcy_channel``, the coefficient error rate of that channel."""
    truth, estimate = truth.double(), estimate.double()
    if truth.shape != estimate.shape or truth.dim() != 4:
        raise ValueError(
            f"need truths and estimates shaped (B, C, H, W) alike, got {tuple(truth.shape)}, {tuple(estimate.shape)}"
        )
    r = float(truth.max() - truth.min()) if data_range is None else float(data_range)
    out = {"psnr": float(psnr(estimate, truth, r).mean()), "rel_l2": float(relative_l2(estimate, truth).mean())}
    if min(truth.shape[-2:]) >= 11:
        out["ssim"] = float(ssim(estimate, truth, r).mean())
    if darcy_channel is not None:
        out["coefficient_error_rate"] = float(
            coefficient_error_rate(estimate[:, darcy_channel], truth[:, darcy_channel]).mean()
        )
    return out


def reconstruction_metrics(
    truth: Tensor,
    samples: Tensor,
    data_range: float | None = None,
    level: float = 0.9,
    darcy_channel: int | None = None,
    channels: Sequence[int] | None = None,
) -> dict[str, float]:
    """Posterior samples (B, L, C, H, W) against truths (B, C, H, W), on ``channels`` (default all): the
    :func:`point_metrics` of the posterior mean, the standardised errors' mean and std (and the calibrated target
    std for L samples), the coverage of central ``level`` intervals and SBC uniformity (minimum p-value over 8
    random projections)."""
    truth, samples = truth.double(), samples.double()
    if channels is not None:
        truth, samples = truth[:, list(channels)], samples[:, :, list(channels)]
    out = point_metrics(truth, samples.mean(1), data_range, darcy_channel)
    if samples.shape[1] > 3:
        cal = calibration_summary(truth, samples, level)
        out.update(z_mean=cal.z_mean, z_std=cal.z_std, z_std_target=calibrated_z_std(samples.shape[1]))
        out[f"coverage_{round(100 * level)}"] = cal.coverage
        stat = projections(truth[0].numel(), 8, seed=0)
        sbc = sbc_ranks(truth, samples, stat, generator=torch.Generator().manual_seed(0))
        out["sbc_min_p"] = float(sbc.p_values.min())
    return out
