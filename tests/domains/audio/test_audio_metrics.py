"""Audio metrics against known values: LSD under gains and masks, spectral convergence, SNR and SI-SNR with known
powers, and the Gaussian Fréchet distance in closed form and against scipy's matrix square root."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from sciddiff.domains.audio.metrics import (
    frame_statistics,
    frechet_log_mel_distance,
    gaussian_frechet_distance,
    log_spectral_distance,
    si_snr,
    snr,
    spectral_convergence,
    waveform_lsd,
)

F64 = torch.float64


def _power(seed: int = 0, shape: tuple[int, ...] = (33, 20)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=F64) + 0.01


@pytest.mark.parametrize("gain", [0.5, 2.0, 10.0])
def test_lsd_is_zero_on_itself_and_20_log10_g_under_a_gain(gain: float) -> None:
    p = _power()
    assert float(log_spectral_distance(p, p)) == 0.0
    assert float(log_spectral_distance(p, gain**2 * p)) == pytest.approx(abs(20 * math.log10(gain)), rel=1e-12)
    mag = p.sqrt()
    assert float(log_spectral_distance(mag, gain * mag, power=False)) == pytest.approx(abs(20 * math.log10(gain)))
    x = torch.randn(2, 4000, generator=torch.Generator().manual_seed(1), dtype=F64)
    torch.testing.assert_close(
        waveform_lsd(x, gain * x, 256, 64), torch.full((2,), abs(20 * math.log10(gain)), dtype=F64)
    )


def test_lsd_masks_score_only_the_gap_and_the_band() -> None:
    """Frames in the gap differ by 6 dB in half the bins and 0 dB in the other half: per-frame RMS is 6 / sqrt 2."""
    ref = _power(2)
    est = ref.clone()
    gap = torch.zeros(20, dtype=torch.bool)
    gap[5:9] = True
    band = torch.zeros(33, dtype=torch.bool)
    band[::2] = True  # 17 bins
    est[::2, 5:9] *= 10**0.6  # +6 dB in the band inside the gap
    assert float(log_spectral_distance(ref, est, time_mask=gap, freq_mask=band)) == pytest.approx(6.0)
    assert float(log_spectral_distance(ref, est, time_mask=~gap)) == 0.0
    assert float(log_spectral_distance(ref, est, time_mask=gap)) == pytest.approx(6.0 * math.sqrt(17 / 33))
    assert float(log_spectral_distance(ref, est)) == pytest.approx(6.0 * math.sqrt(17 / 33) * 4 / 20)
    with pytest.raises(ValueError, match="time_mask selects nothing"):
        log_spectral_distance(ref, est, time_mask=torch.zeros(20, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"freq_mask must be a boolean tensor of shape \(33,\)"):
        log_spectral_distance(ref, est, freq_mask=torch.ones(32, dtype=torch.bool))


def test_lsd_floor_limits_the_distance_to_silence() -> None:
    p = torch.ones(4, 3, dtype=F64)
    assert float(log_spectral_distance(p, torch.zeros_like(p), floor=1e-10)) == pytest.approx(100.0)


def test_spectral_convergence_known_values() -> None:
    mag = _power(3)
    assert float(spectral_convergence(mag, mag)) == 0.0
    assert float(spectral_convergence(mag, 1.25 * mag)) == pytest.approx(0.25)
    assert float(spectral_convergence(mag, torch.zeros_like(mag))) == pytest.approx(1.0)
    phase = torch.polar(mag, torch.rand(mag.shape, generator=torch.Generator().manual_seed(4), dtype=F64) * 6)
    assert float(spectral_convergence(mag.to(torch.complex128), phase)) == pytest.approx(0.0, abs=1e-14)


def test_snr_and_si_snr_of_signal_plus_orthogonal_noise() -> None:
    """x = sin(2 pi 5 n / N) (power 1/2) and n = 0.1 cos(2 pi 17 n / N) (power 0.005) are orthogonal on N samples."""
    n = torch.arange(1000, dtype=F64)
    x = torch.sin(2 * math.pi * 5 * n / 1000)
    noise = 0.1 * torch.cos(2 * math.pi * 17 * n / 1000)
    assert float(snr(x, x + noise)) == pytest.approx(10 * math.log10(0.5 / 0.005), rel=1e-10)  # 20 dB
    assert float(si_snr(x, x + noise)) == pytest.approx(20.0, rel=1e-10)
    assert float(si_snr(x, 3.0 * (x + noise))) == pytest.approx(20.0, rel=1e-10)  # invariant to the gain
    assert float(snr(x, 0.5 * x)) == pytest.approx(10 * math.log10(4.0))  # error 0.5 x: power ratio 4
    batch = torch.stack([x, x])
    torch.testing.assert_close(
        snr(batch, batch + torch.stack([noise, 2 * noise])), torch.tensor([20.0, 20 - 20 * math.log10(2)], dtype=F64)
    )
    with pytest.raises(ValueError, match="reference is all zeros"):
        snr(torch.zeros(10, dtype=F64), x[:10])


def test_frechet_distance_of_gaussians_in_closed_form() -> None:
    """Commuting (diagonal) covariances: d^2 = ||m1 - m2||^2 + sum (sqrt(a_i) - sqrt(b_i))^2."""
    m1, m2 = torch.tensor([0.0, 1.0, 2.0], dtype=F64), torch.tensor([1.0, 1.0, 0.0], dtype=F64)
    a, b = torch.tensor([1.0, 4.0, 9.0], dtype=F64), torch.tensor([4.0, 1.0, 9.0], dtype=F64)
    expected = 1.0 + 4.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0.0
    assert gaussian_frechet_distance(m1, torch.diag(a), m2, torch.diag(b)) == pytest.approx(expected, rel=1e-12)
    assert gaussian_frechet_distance(m1, torch.diag(a), m1, torch.diag(a)) == pytest.approx(0.0, abs=1e-12)


def test_frechet_distance_matches_scipy_sqrtm_for_full_covariances() -> None:
    g = torch.Generator().manual_seed(5)
    r1, r2 = torch.randn(6, 6, generator=g, dtype=F64), torch.randn(6, 6, generator=g, dtype=F64)
    c1, c2 = r1 @ r1.T + 0.1 * torch.eye(6, dtype=F64), r2 @ r2.T + 0.1 * torch.eye(6, dtype=F64)
    m1, m2 = torch.randn(6, generator=g, dtype=F64), torch.randn(6, generator=g, dtype=F64)
    cross = scipy.linalg.sqrtm(c1.numpy() @ c2.numpy())  # tr sqrt(C1 C2) = tr sqrt(C1^1/2 C2 C1^1/2)
    expected = float(((m1 - m2) ** 2).sum() + torch.trace(c1) + torch.trace(c2)) - 2 * float(np.trace(cross).real)
    assert gaussian_frechet_distance(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-9)
    assert gaussian_frechet_distance(m1, c1, m2, c2) == pytest.approx(gaussian_frechet_distance(m2, c2, m1, c1))


def test_frechet_log_mel_distance_uses_frame_statistics() -> None:
    """Frames (..., n_mels, time) of a shifted copy differ only in the mean: d^2 = ||shift||^2."""
    g = torch.Generator().manual_seed(6)
    specs = torch.randn(5, 8, 40, generator=g, dtype=F64)
    shift = torch.linspace(-1.0, 1.0, 8, dtype=F64)[:, None]
    assert frechet_log_mel_distance(specs, specs + shift) == pytest.approx(float((shift**2).sum()), rel=1e-9)
    mean, cov = frame_statistics(specs)
    frames = specs.permute(0, 2, 1).reshape(-1, 8).numpy()
    np.testing.assert_allclose(mean.numpy(), frames.mean(0), atol=1e-12)
    np.testing.assert_allclose(cov.numpy(), np.cov(frames.T), atol=1e-12)
    with pytest.raises(ValueError, match="reference has 8 mel bands, estimate 7"):
        frechet_log_mel_distance(specs, specs[:, :7])
