"""Short-time Fourier transform with a periodic Hann window, and its inverse by windowed overlap-add.

X[m, k] = sum_n x[n + m H] w[n] exp(-2 pi i k n / N), N = n_fft, H = hop; with ``center=True`` the signal is
reflect-padded by N/2 on both sides, so frame m is centred on sample m H. The inverse is the least-squares
overlap-add of Griffin & Lim, "Signal estimation from modified short-time Fourier transform" (1984).
"""

from __future__ import annotations

import torch
from torch import Tensor


def check_frames(n_fft: int, hop_length: int) -> None:
    """Refuse a frame layout the Hann overlap-add cannot invert (NOLA fails for hop > n_fft / 2)."""
    if n_fft < 2 or n_fft % 2:
        raise ValueError(f"n_fft must be an even integer >= 2, got {n_fft}")
    if not 1 <= hop_length <= n_fft // 2:
        raise ValueError(f"hop_length must be in [1, n_fft/2 = {n_fft // 2}] for a Hann window, got {hop_length}")


def hann(n_fft: int, *, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> Tensor:
    """Periodic Hann window w[n] = 0.5 - 0.5 cos(2 pi n / N), n = 0..N-1."""
    return torch.hann_window(n_fft, periodic=True, dtype=dtype, device=device)


def stft(waveform: Tensor, n_fft: int, hop_length: int, *, center: bool = True) -> Tensor:
    """Complex one-sided STFT of ``waveform`` (..., T) -> (..., n_fft // 2 + 1, frames), unnormalised."""
    check_frames(n_fft, hop_length)
    if not waveform.is_floating_point():
        raise ValueError(f"waveform must be a floating-point tensor, got dtype {waveform.dtype}")
    lead, length = waveform.shape[:-1], waveform.shape[-1]
    min_length = n_fft // 2 + 1 if center else n_fft
    if length < min_length:
        raise ValueError(f"waveform has {length} samples; n_fft={n_fft} needs at least {min_length}")
    window = hann(n_fft, dtype=waveform.dtype, device=waveform.device)
    spec = torch.stft(
        waveform.reshape(-1, length),
        n_fft,
        hop_length,
        window=window,
        center=center,
        pad_mode="reflect",
        return_complex=True,
    )
    return spec.reshape(*lead, *spec.shape[-2:])


def istft(spec: Tensor, n_fft: int, hop_length: int, *, length: int | None = None, center: bool = True) -> Tensor:
    """Inverse of :func:`stft` for (..., n_fft // 2 + 1, frames) -> (..., T): least-squares overlap-add."""
    check_frames(n_fft, hop_length)
    if not spec.is_complex():
        raise ValueError(f"spec must be a complex tensor, got dtype {spec.dtype}")
    if spec.shape[-2] != n_fft // 2 + 1:
        raise ValueError(f"spec has {spec.shape[-2]} frequency bins; n_fft={n_fft} has {n_fft // 2 + 1}")
    lead = spec.shape[:-2]
    window = hann(n_fft, dtype=spec.real.dtype, device=spec.device)
    wave = torch.istft(
        spec.reshape(-1, *spec.shape[-2:]), n_fft, hop_length, window=window, center=center, length=length
    )
    return wave.reshape(*lead, wave.shape[-1])


def n_frames(length: int, n_fft: int, hop_length: int, *, center: bool = True) -> int:
    """Number of STFT frames for a signal of ``length`` samples: 1 + floor((T [+ N if centred] - N) / H)."""
    padded = length + n_fft if center else length
    return 1 + (padded - n_fft) // hop_length
