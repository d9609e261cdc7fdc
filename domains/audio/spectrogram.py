"""Spectrograms as xarray DataArrays with physical coordinates: ``frequency`` in Hz and ``time`` in seconds.

Frame m is centred on sample m hop (centre padding), so its time is m hop / sample_rate. A linear spectrogram's
bin k sits at k sample_rate / n_fft Hz; a mel band's coordinate is the centre frequency (triangle peak) in Hz.
``kind`` says what the values are: ``"magnitude"`` (|STFT| or W |STFT|), ``"db"`` (20 log10, floored at db_min)
or ``"normalised"`` (dB mapped affinely from [db_min, db_max] to [-1, 1]).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.audio.dsp import (
    amplitude_to_db,
    check_frames,
    db_to_amplitude,
    denormalise_db,
    griffin_lim,
    mel_centres,
    mel_filterbank,
    mel_pseudo_inverse,
    normalise_db,
    stft,
)
from torch import Tensor

KINDS = ("magnitude", "db", "normalised")
SCALES = ("linear", "mel")


@dataclass(frozen=True)
class SpectrogramConfig:
    """How a waveform becomes a spectrogram; every field is plain data and is stored in the DataArray's attrs.

    ``f_max = 0`` means the Nyquist frequency sample_rate / 2 (netCDF attributes cannot hold None).
    """

    sample_rate: int = 16000
    n_fft: int = 512
    hop_length: int = 128
    scale: str = "linear"
    n_mels: int = 64
    f_min: float = 0.0
    f_max: float = 0.0
    mel_scale: str = "slaney"
    db_min: float = -100.0
    db_max: float = 20.0

    def __post_init__(self) -> None:
        check_frames(self.n_fft, self.hop_length)
        if self.scale not in SCALES:
            raise ValueError(f"unknown spectrogram scale {self.scale!r}; choose one of {SCALES}")
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")
        if not self.db_min < self.db_max:
            raise ValueError(f"need db_min < db_max, got db_min={self.db_min}, db_max={self.db_max}")
        if self.scale == "mel":
            self.filterbank()  # validates the mel settings now rather than at first use

    @property
    def nyquist_max(self) -> float:
        """The upper frequency limit in Hz (f_max, or sample_rate / 2 when f_max is 0)."""
        return self.f_max or self.sample_rate / 2.0

    @property
    def n_bins(self) -> int:
        """Number of frequency rows: n_fft // 2 + 1 for a linear spectrogram, n_mels for a mel spectrogram."""
        return self.n_mels if self.scale == "mel" else self.n_fft // 2 + 1

    def filterbank(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """The (n_mels, n_fft // 2 + 1) Slaney-normalised mel filterbank of this configuration."""
        return mel_filterbank(
            self.sample_rate,
            self.n_fft,
            self.n_mels,
            f_min=self.f_min,
            f_max=self.nyquist_max,
            scale=self.mel_scale,
            norm="slaney",
            dtype=dtype,
        )

    def frequencies(self) -> np.ndarray:
        """Frequency coordinate in Hz: FFT bin frequencies, or mel band centres."""
        if self.scale == "mel":
            return mel_centres(self.n_mels, self.f_min, self.nyquist_max, self.mel_scale).numpy()
        return np.arange(self.n_fft // 2 + 1) * (self.sample_rate / self.n_fft)

    def times(self, n_frames: int) -> np.ndarray:
        """Time coordinate in seconds of frames 0..n_frames-1 (frame centres)."""
        return np.arange(n_frames) * (self.hop_length / self.sample_rate)

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> SpectrogramConfig:
        """Rebuild the configuration from a DataArray's attrs (also after a netCDF round trip)."""
        missing = [f.name for f in fields(cls) if f.name not in attrs]
        if missing:
            raise ValueError(f"attrs lack the spectrogram settings {missing}")
        return cls(**{f.name: _plain(attrs[f.name]) for f in fields(cls)})


def _plain(value: Any) -> Any:
    """numpy scalars from netCDF attrs -> Python scalars."""
    return value.item() if isinstance(value, np.generic) else value


def magnitude(waveform: Tensor, config: SpectrogramConfig) -> Tensor:
    """|STFT| (linear) or W |STFT| (mel) of a waveform (..., T) -> (..., n_bins, frames)."""
    mag = stft(waveform, config.n_fft, config.hop_length).abs()
    return config.filterbank(mag.dtype) @ mag if config.scale == "mel" else mag


def encode_magnitude(mag: Tensor, config: SpectrogramConfig, kind: str) -> Tensor:
    """Magnitude -> values of the given kind (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown spectrogram kind {kind!r}; choose one of {KINDS}")
    if kind == "magnitude":
        return mag
    db = amplitude_to_db(mag, config.db_min)
    return db if kind == "db" else normalise_db(db, config.db_min, config.db_max)


def decode_magnitude(values: Tensor, config: SpectrogramConfig, kind: str) -> Tensor:
    """Inverse of :func:`encode_magnitude` (exact above the dB floor)."""
    if kind not in KINDS:
        raise ValueError(f"unknown spectrogram kind {kind!r}; choose one of {KINDS}")
    if kind == "magnitude":
        return values
    db = values if kind == "db" else denormalise_db(values, config.db_min, config.db_max)
    return db_to_amplitude(db)


def to_dataarray(values: Tensor | np.ndarray, config: SpectrogramConfig, kind: str) -> xr.DataArray:
    """Wrap (frequency, time) or (sample, frequency, time) values with coordinates and the config as attrs."""
    array = values.detach().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim not in (2, 3) or array.shape[-2] != config.n_bins:
        raise ValueError(
            f"values have shape {array.shape}; expected (frequency={config.n_bins}, time) or (sample, frequency, time)"
        )
    if kind not in KINDS:
        raise ValueError(f"unknown spectrogram kind {kind!r}; choose one of {KINDS}")
    dims = ("frequency", "time") if array.ndim == 2 else ("sample", "frequency", "time")
    coords = {
        "frequency": ("frequency", config.frequencies(), {"units": "Hz"}),
        "time": ("time", config.times(array.shape[-1]), {"units": "s"}),
    }
    return xr.DataArray(array, dims=dims, coords=coords, attrs={**asdict(config), "kind": kind})


def spectrogram(waveform: Tensor | np.ndarray, config: SpectrogramConfig, kind: str = "normalised") -> xr.DataArray:
    """Waveform (T,) or (B, T) -> spectrogram DataArray of the given kind (computed in float64)."""
    wave = torch.as_tensor(waveform, dtype=torch.float64)
    if wave.dim() not in (1, 2):
        raise ValueError(f"waveform must have shape (T,) or (B, T), got {tuple(wave.shape)}")
    return to_dataarray(encode_magnitude(magnitude(wave, config), config, kind), config, kind)


def to_waveform(
    spec: xr.DataArray, *, length: int | None = None, n_iter: int = 100, momentum: float = 0.99, seed: int = 0
) -> Tensor:
    """Spectrogram DataArray -> waveform by fast Griffin-Lim (a mel spectrogram is inverted by NNLS first)."""
    config = SpectrogramConfig.from_attrs(spec.attrs)
    mag = decode_magnitude(torch.as_tensor(spec.values, dtype=torch.float64), config, spec.attrs["kind"])
    if config.scale == "mel":
        mag = mel_pseudo_inverse(mag, config.filterbank())
    return griffin_lim(
        mag, config.n_fft, config.hop_length, n_iter=n_iter, momentum=momentum, length=length, generator=seed
    ).waveform
