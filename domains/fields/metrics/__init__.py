"""Metrics for images and fields: PSNR, SSIM, relative L2, the Darcy coefficient error rate and pixel-wise
calibration of posterior samples."""

from sciddiff.domains.fields.metrics.calibration import (
    CalibrationSummary,
    calibrated_z_std,
    calibration_summary,
    interval_coverage,
    standardized_errors,
)
from sciddiff.domains.fields.metrics.darcy import binarize_coefficient, coefficient_error_rate
from sciddiff.domains.fields.metrics.image import gaussian_window, psnr, relative_l2, ssim

__all__ = [
    "CalibrationSummary",
    "binarize_coefficient",
    "calibrated_z_std",
    "calibration_summary",
    "coefficient_error_rate",
    "gaussian_window",
    "interval_coverage",
    "psnr",
    "relative_l2",
    "ssim",
    "standardized_errors",
]
