"""Metrics against scikit-image (PSNR, SSIM), hand computations, and the exact law of standardised errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import skimage.data
import torch
from sciddiff.domains.fields.metrics import (
    calibrated_z_std,
    calibration_summary,
    coefficient_error_rate,
    interval_coverage,
    psnr,
    relative_l2,
    ssim,
    standardized_errors,
)
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

F64 = torch.float64


def noisy_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    ref = skimage.data.camera()[100:164, 200:264] / 255.0
    noisy = np.clip(ref + 0.1 * np.random.default_rng(seed).standard_normal(ref.shape), 0, 1)
    return noisy, ref


def test_psnr_matches_scikit_image_and_the_hand_formula() -> None:
    noisy, ref = noisy_pair(0)
    expected = peak_signal_noise_ratio(ref, noisy, data_range=1.0)
    got = psnr(torch.as_tensor(noisy)[None], torch.as_tensor(ref)[None], data_range=1.0)
    assert abs(float(got[0]) - expected) < 1e-10
    x = torch.zeros(1, 2, 2, dtype=F64)
    y = torch.tensor([[[0.0, 0.0], [0.0, 2.0]]], dtype=F64)  # MSE = 1, range 2: 10 log10(4)
    assert abs(float(psnr(x, y, data_range=2.0)[0]) - 10 * math.log10(4)) < 1e-12


@pytest.mark.parametrize("seed", [0, 1])
def test_ssim_matches_scikit_image_gaussian_settings(seed: int) -> None:
    noisy, ref = noisy_pair(seed)
    expected = structural_similarity(
        ref, noisy, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    got = ssim(torch.as_tensor(noisy)[None], torch.as_tensor(ref)[None], data_range=1.0)
    assert abs(float(got[0]) - expected) < 1e-10
    assert abs(float(ssim(torch.as_tensor(ref)[None], torch.as_tensor(ref)[None], 1.0)[0]) - 1) < 1e-12


def test_ssim_averages_channels_like_scikit_image() -> None:
    rgb = skimage.data.astronaut()[:48, :48] / 255.0
    other = np.clip(rgb[::-1] * 0.8 + 0.1, 0, 1)
    expected = structural_similarity(
        rgb, other, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=2
    )
    got = ssim(torch.as_tensor(other).permute(2, 0, 1)[None], torch.as_tensor(rgb).permute(2, 0, 1)[None], 1.0)
    assert abs(float(got[0]) - expected) < 1e-10


def test_relative_l2_and_coefficient_error_rate_by_hand() -> None:
    ref = torch.tensor([[3.0, 4.0]], dtype=F64)
    assert abs(float(relative_l2(ref + torch.tensor([[0.0, 1.0]]), ref)[0]) - 0.2) < 1e-15
    a_true = torch.tensor([[[12.0, 3.0], [3.0, 12.0]]])
    a_pred = torch.tensor([[[11.0, 7.4], [7.6, 2.0]]])  # right, right, wrong, wrong
    assert float(coefficient_error_rate(a_pred, a_true)[0]) == 0.5
    with pytest.raises(ValueError, match="all zero"):
        relative_l2(ref, torch.zeros_like(ref))


def test_standardized_errors_by_hand_and_interval_coverage_at_exact_quantiles() -> None:
    samples = torch.tensor([[[1.0], [3.0]]], dtype=F64)  # mean 2, unbiased std sqrt(2)
    z = standardized_errors(torch.tensor([[4.0]], dtype=F64), samples)
    assert abs(float(z) - 2 / math.sqrt(2)) < 1e-15
    grid = torch.arange(101, dtype=F64)  # quantiles 0.05 and 0.95 fall exactly on 5 and 95
    truth = torch.tensor([[4.9, 5.0, 50.0, 95.0, 95.1]], dtype=F64)
    inside = interval_coverage(truth, grid[None, :, None].expand(1, 101, 5), level=0.9)
    assert inside[0].tolist() == [False, True, True, True, False]


def test_a_calibrated_gaussian_posterior_gives_the_exact_law_of_z() -> None:
    g = torch.Generator().manual_seed(0)
    b, n_samples, pixels = 400, 8, 50
    mean = torch.randn(b, 1, pixels, generator=g, dtype=F64)
    std = 0.1 + torch.rand(b, 1, pixels, generator=g, dtype=F64)
    draws = mean + std * torch.randn(b, n_samples + 1, pixels, generator=g, dtype=F64)
    truth, samples = draws[:, 0], draws[:, 1:]
    z = standardized_errors(truth, samples).reshape(-1).numpy()
    t_stat = z * math.sqrt(n_samples / (n_samples + 1))
    assert scipy.stats.kstest(t_stat, scipy.stats.t(n_samples - 1).cdf).pvalue > 1e-3
    summary = calibration_summary(truth, samples, level=0.9)
    assert abs(summary.z_std - calibrated_z_std(n_samples)) < 0.03
    assert abs(summary.z_mean) < 0.03 and summary.n_pixels == b * pixels and summary.n_samples == n_samples
    # spreading the samples twice as far around their mean halves z exactly, and covers more
    centre = samples.mean(1, keepdim=True)
    wide = calibration_summary(truth, centre + 2 * (samples - centre))
    assert abs(wide.z_std - summary.z_std / 2) < 1e-12 and abs(wide.z_mean - summary.z_mean / 2) < 1e-12
    assert wide.coverage > summary.coverage + 0.05


def test_coverage_of_central_intervals_for_many_samples() -> None:
    g = torch.Generator().manual_seed(1)
    draws = torch.randn(100, 201, 40, generator=g, dtype=F64)
    summary = calibration_summary(draws[:, 0], draws[:, 1:], level=0.9)
    assert abs(summary.coverage - 0.9) < 0.015
    mask = torch.zeros(100, 40, dtype=torch.bool)
    mask[:, :10] = True
    masked = calibration_summary(draws[:, 0], draws[:, 1:], level=0.9, mask=mask)
    z = standardized_errors(draws[:, 0, :10], draws[:, 1:, :10])
    assert masked.n_pixels == 1000 and abs(masked.z_std - float(z.std())) < 1e-12


def test_bad_calibration_inputs_raise() -> None:
    with pytest.raises(ValueError, match="do not match"):
        standardized_errors(torch.zeros(2, 3), torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="zero spread"):
        standardized_errors(torch.zeros(1, 3), torch.ones(1, 5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        interval_coverage(torch.zeros(1, 3), torch.zeros(1, 1, 3))
    with pytest.raises(ValueError, match="more than 3"):
        calibrated_z_std(3)
    with pytest.raises(ValueError, match="smaller than"):
        ssim(torch.zeros(1, 8, 8), torch.zeros(1, 8, 8), 1.0)
    with pytest.raises(ValueError, match="data_range"):
        psnr(torch.zeros(1, 8, 8), torch.ones(1, 8, 8), 0.0)


def test_point_and_reconstruction_metrics_by_hand() -> None:
    from sciddiff.domains.fields.evaluation import point_metrics, reconstruction_metrics

    g = torch.Generator().manual_seed(0)
    truth = torch.where(torch.rand(2, 2, 12, 12, generator=g) > 0.5, 12.0, 3.0).double()
    estimate = truth + 0.5  # a constant offset: PSNR 10 log10(9^2 / 0.25), rel L2 0.5 sqrt(N) / ||x||
    estimate[:, 0, 0, :3] = 15.0 - truth[:, 0, 0, :3]  # 3 coefficient pixels of each instance flipped
    out = point_metrics(truth, estimate, darcy_channel=0)
    err = estimate - truth
    expected_psnr = (10 * torch.log10(81.0 / err.pow(2).mean(dim=(1, 2, 3)))).mean()
    expected_rel = (err.flatten(1).norm(dim=1) / truth.flatten(1).norm(dim=1)).mean()
    assert out["psnr"] == pytest.approx(float(expected_psnr), rel=1e-12)
    assert out["rel_l2"] == pytest.approx(float(expected_rel), rel=1e-12)
    assert out["coefficient_error_rate"] == pytest.approx(3 / 144, rel=1e-12)
    assert 0 < out["ssim"] < 1
    samples = torch.stack([estimate - 1.0, estimate + 1.0], dim=1)  # mean = estimate: same point scores
    assert reconstruction_metrics(truth, samples, darcy_channel=0) == out
    with pytest.raises(ValueError, match=r"shaped \(B, C, H, W\) alike, got \(2, 2, 12, 12\), \(2, 12, 12\)"):
        point_metrics(truth, estimate[:, 0])
