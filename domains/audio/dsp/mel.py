"""Mel scales and triangular mel filterbanks.

Two scales: ``"slaney"`` (Slaney, "Auditory Toolbox", 1998: linear 3 mel / 200 Hz below 1 kHz, logarithmic above,
mel(f) = 15 + 27 ln(f / 1000) / ln 6.4) and ``"htk"`` (Young et al., "The HTK Book": mel(f) = 2595 log10(1 + f/700)).
Band m is a triangle over linear frequency with corners at the mel-spaced points f_m, f_{m+1}, f_{m+2}; with
``norm="slaney"`` it is scaled by 2 / (f_{m+2} - f_m) so that each triangle has unit area in Hz (the convention of
librosa's default filterbank).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_F_SP = 200.0 / 3.0  # Hz per mel in the linear region of the Slaney scale
_LOG_STEP = math.log(6.4) / 27.0  # ln-frequency per mel above 1 kHz
_MEL_BREAK = 1000.0 / _F_SP  # = 15 mel at 1 kHz

MEL_SCALES = ("slaney", "htk")


def _check_scale(scale: str) -> None:
    if scale not in MEL_SCALES:
        raise ValueError(f"unknown mel scale {scale!r}; choose one of {MEL_SCALES}")


def hz_to_mel(freq: Tensor, scale: str = "slaney") -> Tensor:
    """Frequency in Hz -> mel on the given scale (elementwise)."""
    _check_scale(scale)
    if scale == "htk":
        return 2595.0 * torch.log10(1.0 + freq / 700.0)
    linear = freq / _F_SP
    log = _MEL_BREAK + torch.log(torch.clamp(freq, min=1000.0) / 1000.0) / _LOG_STEP
    return torch.where(freq >= 1000.0, log, linear)


def mel_to_hz(mel: Tensor, scale: str = "slaney") -> Tensor:
    """Mel on the given scale -> frequency in Hz (elementwise inverse of :func:`hz_to_mel`)."""
    _check_scale(scale)
    if scale == "htk":
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    linear = _F_SP * mel
    log = 1000.0 * torch.exp(_LOG_STEP * (torch.clamp(mel, min=_MEL_BREAK) - _MEL_BREAK))
    return torch.where(mel >= _MEL_BREAK, log, linear)


def mel_points(n_mels: int, f_min: float, f_max: float, scale: str = "slaney") -> Tensor:
    """The n_mels + 2 band corners f_0 < ... < f_{n_mels+1} in Hz, equally spaced in mel (float64)."""
    edges = hz_to_mel(torch.tensor([f_min, f_max], dtype=torch.float64), scale)
    return mel_to_hz(torch.linspace(float(edges[0]), float(edges[1]), n_mels + 2, dtype=torch.float64), scale)


def mel_centres(n_mels: int, f_min: float, f_max: float, scale: str = "slaney") -> Tensor:
    """Centre frequency in Hz of each band (the peak of its triangle), shape (n_mels,)."""
    return mel_points(n_mels, f_min, f_max, scale)[1:-1]


def mel_filterbank(
    sample_rate: float,
    n_fft: int,
    n_mels: int,
    *,
    f_min: float = 0.0,
    f_max: float | None = None,
    scale: str = "slaney",
    norm: str | None = "slaney",
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """Triangular filterbank W of shape (n_mels, n_fft // 2 + 1); a mel spectrogram is W @ |STFT|.

    W[m, k] = max(0, min((f_k - f_m) / (f_{m+1} - f_m), (f_{m+2} - f_k) / (f_{m+2} - f_{m+1}))) at the bin
    frequencies f_k = k sample_rate / n_fft, times 2 / (f_{m+2} - f_m) when ``norm="slaney"``.
    """
    nyquist = sample_rate / 2.0
    f_max = nyquist if f_max is None else f_max
    if not 0.0 <= f_min < f_max <= nyquist:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2 = {nyquist}; got f_min={f_min}, f_max={f_max}")
    if n_mels < 1:
        raise ValueError(f"n_mels must be >= 1, got {n_mels}")
    if norm not in ("slaney", None):
        raise ValueError(f"unknown mel norm {norm!r}; choose 'slaney' or None")
    points = mel_points(n_mels, f_min, f_max, scale)
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * (sample_rate / n_fft)
    lower, centre, upper = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    if norm == "slaney":
        weights = weights * (2.0 / (upper - lower))
    empty = torch.nonzero(weights.max(dim=1).values <= 0).flatten()
    if empty.numel():
        m = int(empty[0])
        raise ValueError(
            f"mel band {m} ({float(lower[m, 0]):.1f}-{float(upper[m, 0]):.1f} Hz) contains no FFT bin "
            f"(bin spacing {sample_rate / n_fft:.2f} Hz); use fewer mel bands ({n_mels}) or a larger n_fft ({n_fft})"
        )
    return weights.to(dtype)
