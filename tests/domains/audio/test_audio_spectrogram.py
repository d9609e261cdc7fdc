"""Spectrogram DataArrays: physical coordinates, exact encode/decode, netCDF round trip, inversion to a waveform."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from sciddiff.domains.audio.spectrogram import (
    SpectrogramConfig,
    decode_magnitude,
    encode_magnitude,
    magnitude,
    spectrogram,
    to_waveform,
)

F64 = torch.float64


def _tone(freq: float, sr: int = 16000, seconds: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(sr * seconds), dtype=F64) / sr
    return 0.5 * torch.sin(2 * math.pi * freq * t)


def test_linear_coordinates_and_tone_peak_in_hz() -> None:
    config = SpectrogramConfig()  # 16 kHz, n_fft 512 (31.25 Hz bins), hop 128 (8 ms)
    spec = spectrogram(_tone(1000.0), config, kind="db")
    assert spec.dims == ("frequency", "time")
    np.testing.assert_allclose(spec.time.values[:3], [0.0, 0.008, 0.016])
    assert spec.time.size == 1 + 8000 // 128
    assert float(spec.frequency[-1]) == 8000.0
    assert float(spec.frequency[spec.mean("time").argmax("frequency")]) == 1000.0
    # a full-scale-ish tone: peak |X| = A * sum(w) / 2 = 0.5 * 256 / 2 = 64 -> 20 log10(64) dB
    assert float(spec.isel(time=30).max()) == pytest.approx(20 * math.log10(64.0), abs=1e-6)


def test_mel_coordinates_are_band_centres_and_a_tone_peaks_in_the_nearest_band() -> None:
    config = SpectrogramConfig(scale="mel", n_mels=40)
    spec = spectrogram(_tone(2500.0), config, kind="magnitude")
    centres = spec.frequency.values
    assert spec.attrs["scale"] == "mel" and centres.size == 40
    assert float(spec.frequency[spec.mean("time").argmax("frequency")]) == pytest.approx(
        centres[np.abs(centres - 2500).argmin()]
    )


@pytest.mark.parametrize("kind", ["magnitude", "db", "normalised"])
def test_encode_decode_is_exact_above_the_floor(kind: str) -> None:
    config = SpectrogramConfig(db_min=-120.0)
    mag = torch.rand(257, 20, generator=torch.Generator().manual_seed(0), dtype=F64) * 10.0 + 1e-5
    torch.testing.assert_close(decode_magnitude(encode_magnitude(mag, config, kind), config, kind), mag)
    with pytest.raises(ValueError, match="unknown spectrogram kind 'log'"):
        encode_magnitude(mag, config, "log")


def test_netcdf_round_trip_keeps_values_coordinates_and_config(tmp_path: Path) -> None:
    config = SpectrogramConfig(scale="mel", n_mels=32, f_min=50.0, f_max=7000.0, mel_scale="htk")
    batch = torch.stack([_tone(300.0), _tone(3000.0)])
    spec = spectrogram(batch, config)
    assert spec.dims == ("sample", "frequency", "time")
    spec.to_netcdf(tmp_path / "spec.nc")
    loaded = xr.open_dataarray(tmp_path / "spec.nc")
    xr.testing.assert_identical(loaded.load(), spec)
    assert SpectrogramConfig.from_attrs(loaded.attrs) == config
    loaded.close()


def test_to_waveform_recovers_the_magnitude_of_a_linear_spectrogram() -> None:
    config = SpectrogramConfig(n_fft=256, hop_length=64, sample_rate=8000)
    x = _tone(440.0, sr=8000) * torch.linspace(1.0, 0.2, 4000, dtype=F64)
    y = to_waveform(spectrogram(x, config), length=4000, n_iter=60)
    target = magnitude(x, config)
    assert float(torch.linalg.norm(magnitude(y, config) - target) / torch.linalg.norm(target)) < 0.1


def test_config_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="unknown spectrogram scale 'bark'"):
        SpectrogramConfig(scale="bark")
    with pytest.raises(ValueError, match="contains no FFT bin"):
        SpectrogramConfig(scale="mel", n_fft=128, hop_length=32, n_mels=80)
    with pytest.raises(ValueError, match="lack the spectrogram settings"):
        SpectrogramConfig.from_attrs({"sample_rate": 16000})


def test_to_waveform_inverts_a_mel_spectrogram_through_nnls_and_griffin_lim() -> None:
    config = SpectrogramConfig(sample_rate=8000, n_fft=256, hop_length=64, scale="mel", n_mels=40)
    t = torch.arange(4000, dtype=F64) / 8000
    x = 0.5 * torch.sin(2 * math.pi * (200 * t + 1500 * t**2))  # a 200 -> 1700 Hz linear chirp
    y = to_waveform(spectrogram(x, config, kind="db"), length=4000, n_iter=60)
    target = magnitude(x, config)
    assert float(torch.linalg.norm(magnitude(y, config) - target) / torch.linalg.norm(target)) < 0.2
