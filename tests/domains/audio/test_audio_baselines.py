"""Baselines: exact interpolation of linear-in-time spectrograms, SBR on exponential envelopes, spectral
subtraction's SNR gain, and the Griffin-Lim round trip."""

import math

import pytest
import torch
from sciddiff.domains.audio.baselines import (
    cutoff_bin,
    griffin_lim_round_trip,
    interpolate_gap,
    spectral_band_replication,
    spectral_subtraction,
    zero_high_band,
)
from sciddiff.domains.audio.dsp import stft
from sciddiff.domains.audio.metrics import snr, spectral_convergence

F64 = torch.float64


def test_interpolation_is_exact_on_a_spectrogram_linear_in_time() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 17, 1, generator=g, dtype=F64), torch.randn(2, 17, 1, generator=g, dtype=F64)
    spec = a + b * torch.arange(30, dtype=F64)  # (2, 17, 30), linear in time per row
    gap = torch.zeros(30, dtype=torch.bool)
    gap[8:20] = True
    gap[25:27] = True  # two gaps
    corrupted = spec.clone()
    corrupted[..., gap] = -100.0
    torch.testing.assert_close(interpolate_gap(corrupted, gap), spec, rtol=0, atol=1e-12)
    curved = spec**2
    filled = interpolate_gap(curved, gap)
    assert torch.equal(filled[..., ~gap], curved[..., ~gap]) and not torch.allclose(filled, curved)


def test_interpolation_holds_edges_and_refuses_bad_masks() -> None:
    spec = torch.arange(10, dtype=F64).repeat(3, 1)
    gap = torch.zeros(10, dtype=torch.bool)
    gap[:3] = True
    gap[-2:] = True
    filled = interpolate_gap(spec, gap)
    torch.testing.assert_close(filled[0], torch.tensor([3, 3, 3, 3, 4, 5, 6, 7, 7, 7], dtype=F64))
    with pytest.raises(ValueError, match="the gap covers every frame"):
        interpolate_gap(spec, torch.ones(10, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"gap must be a boolean tensor of shape \(10,\)"):
        interpolate_gap(spec, torch.zeros(9, dtype=torch.bool))


def test_zero_high_band_and_cutoff_bin() -> None:
    assert cutoff_bin(4000.0, 16000, 512) == 128 and cutoff_bin(4001.0, 16000, 512) == 129
    mag = torch.rand(257, 5, generator=torch.Generator().manual_seed(1), dtype=F64)
    out = zero_high_band(mag, 128)
    assert torch.equal(out[:128], mag[:128]) and float(out[128:].abs().max()) == 0.0
    with pytest.raises(ValueError, match="cutoff must be in"):
        cutoff_bin(9000.0, 16000, 512)


def test_sbr_keeps_the_low_band_and_is_exact_on_periodic_structure_under_an_exponential_envelope() -> None:
    """|X_k| = exp(a + b k) p(k mod 8) with a symmetric pattern log p: the fitted tilt is exactly b, so SBR
    reproduces the high band exactly."""
    k = torch.arange(129, dtype=F64)[:, None]
    pattern = torch.tensor([0.0, 1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 0.0], dtype=F64)
    tilt = torch.tensor([-0.01, -0.05, -0.002], dtype=F64)  # per frame
    mag = torch.exp(1.0 + tilt * k + pattern[(k.long() % 8).squeeze(1)][:, None])
    out = spectral_band_replication(mag, 64, source_width=16)
    assert torch.equal(out[:64], mag[:64])
    torch.testing.assert_close(out, mag, rtol=1e-10, atol=0)
    rising = torch.exp(0.05 * k).repeat(1, 2)  # a rising tilt is clamped to flat: copies keep their level
    replicated = spectral_band_replication(rising, 64, source_width=16)
    torch.testing.assert_close(replicated[64:80], rising[48:64])
    with pytest.raises(ValueError, match=r"source_width must be in \[2, cutoff=64\], got 80"):
        spectral_band_replication(mag, 64, source_width=80)


def _tone_in_noise(seed: int, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    n = torch.arange(16000, dtype=F64)
    tone = 0.5 * torch.sin(2 * math.pi * 1000 * n / 16000) * (n >= 4000)
    noise = sigma * torch.randn(16000, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return tone, tone + noise


def test_spectral_subtraction_improves_snr_of_a_tone_in_white_noise() -> None:
    sigma = 0.3  # tone power 0.125, noise power 0.09 inside the tone region: 1.4 dB
    tone, noisy = _tone_in_noise(2, sigma)
    window_energy = 3 * 512 / 8  # sum of w^2 for a periodic Hann window of 512
    psd = torch.full((257,), sigma**2 * window_energy, dtype=F64)
    given = spectral_subtraction(noisy, 512, 128, noise_psd=psd)
    frames = torch.arange(126) * 128 < 4000 - 256  # frames that end before the tone starts
    estimated = spectral_subtraction(noisy, 512, 128, noise_frames=frames)
    region = slice(4500, 15500)
    before = float(snr(tone[region], noisy[region]))
    assert float(snr(tone[region], given[region])) > before + 5.0
    assert float(snr(tone[region], estimated[region])) > before + 5.0


def test_spectral_subtraction_is_the_identity_without_noise() -> None:
    tone, _ = _tone_in_noise(0, 0.0)
    clean = tone + 0.01
    out = spectral_subtraction(clean, 256, 64, noise_psd=torch.zeros(129, dtype=F64))
    torch.testing.assert_close(out, clean, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="exactly one of noise_psd and noise_frames"):
        spectral_subtraction(clean, 256, 64)


def test_griffin_lim_round_trip_preserves_the_magnitude() -> None:
    n = torch.arange(4000, dtype=F64)
    x = 0.5 * torch.sin(2 * math.pi * (300 * n / 8000 + 1000 * (n / 8000) ** 2))
    y = griffin_lim_round_trip(x, 256, 64, n_iter=50)
    assert y.shape == x.shape
    assert float(spectral_convergence(stft(x, 256, 64), stft(y, 256, 64))) < 0.1
