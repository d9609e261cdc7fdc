"""Mel scales and filterbanks against hand-computed values and exact identities."""

import math

import pytest
import torch
from sciddiff.domains.audio.dsp import hz_to_mel, mel_centres, mel_filterbank, mel_to_hz

F64 = torch.float64


def test_mel_scales_at_known_points() -> None:
    f = torch.tensor([0.0, 200.0, 1000.0, 6400.0], dtype=F64)
    torch.testing.assert_close(hz_to_mel(f, "slaney"), torch.tensor([0.0, 3.0, 15.0, 42.0], dtype=F64))
    htk = hz_to_mel(torch.tensor([700.0, 2100.0], dtype=F64), "htk")
    torch.testing.assert_close(htk, torch.tensor([2595 * math.log10(2), 2595 * math.log10(4)], dtype=F64))
    grid = torch.linspace(0.0, 8000.0, 101, dtype=F64)
    for scale in ("slaney", "htk"):
        torch.testing.assert_close(mel_to_hz(hz_to_mel(grid, scale), scale), grid)
    with pytest.raises(ValueError, match="unknown mel scale 'bark'"):
        hz_to_mel(grid, "bark")


def test_filterbank_matches_hand_computed_triangles() -> None:
    """Below 1 kHz the Slaney scale is linear: 4 bands on [0, 1000] Hz have corners 0, 200, ..., 1000 Hz."""
    w = mel_filterbank(2000, 20, 4, f_max=1000.0, norm=None)  # bins every 100 Hz, 0..1000 Hz
    expected = torch.zeros(4, 11, dtype=F64)
    for m in range(4):
        expected[m, 2 * m : 2 * m + 5] = torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0], dtype=F64)
    torch.testing.assert_close(w, expected)
    torch.testing.assert_close(mel_filterbank(2000, 20, 4, f_max=1000.0), expected * (2.0 / 400.0))
    torch.testing.assert_close(mel_centres(4, 0.0, 1000.0), torch.tensor([200.0, 400.0, 600.0, 800.0], dtype=F64))


@pytest.mark.parametrize("scale", ["slaney", "htk"])
def test_unnormalised_bands_partition_unity_and_peak_at_centres(scale: str) -> None:
    sr, n_fft, n_mels = 16000, 512, 40
    w = mel_filterbank(sr, n_fft, n_mels, scale=scale, norm=None)
    freqs = torch.arange(n_fft // 2 + 1, dtype=F64) * sr / n_fft
    centres = mel_centres(n_mels, 0.0, sr / 2, scale)
    inside = (freqs >= centres[0]) & (freqs <= centres[-1])
    torch.testing.assert_close(w.sum(0)[inside], torch.ones(int(inside.sum()), dtype=F64))
    bin_width = sr / n_fft
    assert float((freqs[w.argmax(1)] - centres).abs().max()) < bin_width  # the peak bin is a neighbour of f_{m+1}


def test_slaney_norm_gives_unit_area_in_hz() -> None:
    """Each band is scaled by 2 / (f_{m+2} - f_m), so its Riemann sum over bins (>= 5.8 bins wide here) is ~1 Hz^-1 Hz."""
    sr, n_fft = 16000, 1024
    area = mel_filterbank(sr, n_fft, 32).sum(1) * (sr / n_fft)
    torch.testing.assert_close(area, torch.ones(32, dtype=F64), rtol=0, atol=5e-3)
    assert float((mel_filterbank(sr, n_fft, 32, norm=None).sum(1) * (sr / n_fft) - 1.0).abs().min()) > 0.5


def test_filterbank_refuses_empty_bands_and_bad_ranges() -> None:
    with pytest.raises(ValueError, match=r"mel band 0 .* contains no FFT bin"):
        mel_filterbank(16000, 256, 128)
    with pytest.raises(ValueError, match="f_max=9000"):
        mel_filterbank(16000, 512, 40, f_max=9000.0)
