"""Classical baselines for the audio tasks, on magnitude or log-magnitude spectrograms (..., frequency, time).

- Griffin-Lim round trip of the true magnitude: the best any magnitude-only model can do after phase retrieval.
- Gap filling by linear interpolation in time, per frequency row, between the frames that bound the gap.
- Bandwidth extension by a zero high band, or by spectral band replication: the top ``source_width`` bins below
  the cut-off are copied upwards periodically and their level follows the spectral tilt (a least-squares line in
  log-magnitude vs bin, clamped to be non-increasing) fitted per frame over the source band (after Dietz et al.,
  "Spectral band replication, a novel approach in audio coding", AES 2002).
- Denoising by Wiener-style spectral subtraction: gain max(1 - alpha N / |Y|^2, beta) on the noisy STFT Y with
  noise power spectrum N (Boll, "Suppression of acoustic noise in speech using spectral subtraction", 1979; the
  gain with alpha = 1 is the Wiener gain with a maximum-likelihood a-priori SNR, Lim & Oppenheim 1979).
"""

from __future__ import annotations

import math

import torch
from sciddiff.domains.audio.dsp import griffin_lim, istft, stft
from torch import Tensor


def cutoff_bin(cutoff_hz: float, sample_rate: float, n_fft: int) -> int:
    """Index of the first FFT bin at or above ``cutoff_hz`` (bin k sits at k sample_rate / n_fft Hz)."""
    if not 0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"cutoff must be in (0, {sample_rate / 2}) Hz, got {cutoff_hz}")
    return math.ceil(cutoff_hz * n_fft / sample_rate - 1e-9)


def griffin_lim_round_trip(
    waveform: Tensor, n_fft: int, hop_length: int, *, n_iter: int = 100, momentum: float = 0.99, seed: int = 0
) -> Tensor:
    """Waveform (..., T) -> its STFT magnitude -> fast Griffin-Lim -> waveform of the same length."""
    mag = stft(waveform, n_fft, hop_length).abs()
    return griffin_lim(
        mag, n_fft, hop_length, n_iter=n_iter, momentum=momentum, length=waveform.shape[-1], generator=seed
    ).waveform


def interpolate_gap(spec: Tensor, gap: Tensor) -> Tensor:
    """Fill the frames where ``gap`` (time,) is True by linear interpolation in time between the nearest known
    frames on either side (the nearest known frame is held where the gap touches an edge)."""
    n_time = spec.shape[-1]
    gap = torch.as_tensor(gap, device=spec.device)
    if gap.dtype != torch.bool or gap.shape != (n_time,):
        raise ValueError(f"gap must be a boolean tensor of shape ({n_time},), got {gap.dtype} {tuple(gap.shape)}")
    known = torch.nonzero(~gap).flatten()
    if known.numel() == 0:
        raise ValueError("the gap covers every frame; nothing to interpolate from")
    missing = torch.nonzero(gap).flatten()
    out = spec.clone()
    if missing.numel() == 0:
        return out
    pos = torch.searchsorted(known, missing)
    left = known[(pos - 1).clamp(min=0)]
    right = known[pos.clamp(max=known.numel() - 1)]
    span = (right - left).clamp(min=1).to(spec.dtype)
    weight = torch.where(right > left, (missing - left).to(spec.dtype) / span, torch.zeros_like(span))
    out[..., missing] = spec[..., left] * (1 - weight) + spec[..., right] * weight
    return out


def zero_high_band(mag: Tensor, cutoff: int) -> Tensor:
    """Magnitudes with every bin >= ``cutoff`` set to zero."""
    out = mag.clone()
    out[..., cutoff:, :] = 0
    return out


def spectral_band_replication(
    mag: Tensor, cutoff: int, *, source_width: int | None = None, floor: float = 1e-10
) -> Tensor:
    """Fill bins >= ``cutoff`` from the ``source_width`` bins below it (default cutoff // 2), see the module doc.

    Target bin k takes source bin s = cutoff - w + ((k - cutoff) mod w) and log|X_k| = log|X_s| + slope (k - s).
    """
    n_freq = mag.shape[-2]
    w = cutoff // 2 if source_width is None else source_width
    if not 0 < cutoff < n_freq:
        raise ValueError(f"cutoff bin must be in (0, {n_freq}), got {cutoff}")
    if not 2 <= w <= cutoff:
        raise ValueError(f"source_width must be in [2, cutoff={cutoff}], got {w}")
    log_mag = torch.log(mag.clamp(min=floor))
    bins = torch.arange(cutoff - w, cutoff, dtype=mag.dtype, device=mag.device)
    centred = bins - bins.mean()
    source = log_mag[..., cutoff - w : cutoff, :]
    slope = (centred[:, None] * (source - source.mean(dim=-2, keepdim=True))).sum(-2) / (centred**2).sum()
    slope = slope.clamp(max=0.0).unsqueeze(-2)  # (..., 1, time): a non-increasing envelope
    target = torch.arange(cutoff, n_freq, device=mag.device)
    src = cutoff - w + (target - cutoff) % w
    out = mag.clone()
    out[..., cutoff:, :] = torch.exp(log_mag[..., src, :] + slope * (target - src).to(mag.dtype)[:, None])
    return out


def spectral_subtraction(
    noisy: Tensor,
    n_fft: int,
    hop_length: int,
    *,
    noise_psd: Tensor | None = None,
    noise_frames: Tensor | None = None,
    over_subtraction: float = 1.0,
    gain_floor: float = 0.05,
) -> Tensor:
    """Denoised waveform (..., T): gain max(1 - alpha N / |Y|^2, beta) applied to the noisy STFT Y, noisy phase kept.

    N (frequency,) is ``noise_psd`` (E|Y|^2 of the noise per bin, i.e. sigma^2 sum w^2 for white noise of variance
    sigma^2) or the mean of |Y|^2 over the boolean ``noise_frames`` (time,) known to hold noise only.
    """
    if (noise_psd is None) == (noise_frames is None):
        raise ValueError("give exactly one of noise_psd and noise_frames")
    if over_subtraction <= 0 or not 0 <= gain_floor <= 1:
        raise ValueError(f"need over_subtraction > 0 and gain_floor in [0, 1]; got {over_subtraction}, {gain_floor}")
    spec = stft(noisy, n_fft, hop_length)
    power = spec.abs() ** 2
    if noise_frames is not None:
        frames = torch.as_tensor(noise_frames, device=spec.device)
        if frames.dtype != torch.bool or frames.shape != (power.shape[-1],) or not bool(frames.any()):
            raise ValueError(f"noise_frames must be a non-empty boolean mask of shape ({power.shape[-1]},)")
        noise = power[..., frames].mean(dim=-1, keepdim=True)
    else:
        noise = torch.as_tensor(noise_psd, dtype=power.dtype, device=spec.device)
        if noise.shape[-1] != power.shape[-2]:
            raise ValueError(f"noise_psd has {noise.shape[-1]} bins; the STFT has {power.shape[-2]}")
        noise = noise.unsqueeze(-1)
    ratio = torch.where(
        power > 0, noise / power.clamp(min=torch.finfo(power.dtype).tiny), torch.full_like(power, math.inf)
    )
    gain = (1.0 - over_subtraction * ratio).clamp(min=gain_floor)
    return istft(gain * spec, n_fft, hop_length, length=noisy.shape[-1])
