"""Denoising in the dB domain: white Gaussian noise at a given SNR and an approximate Gaussian likelihood for the
dB spectrogram of the noisy waveform.

Noise n ~ N(0, sigma^2) per sample with sigma^2 = mean(s^2) / 10^(SNR / 10) adds to the waveform s. It does not
add in dB: for one STFT bin |S + N|^2 / E|N|^2 is a scaled non-central chi-square, whose log is biased low by
10 gamma / ln 10 = 2.51 dB and spread by 5.57 dB where the noise dominates, and unbiased with a spread
~ 1 / sqrt(local SNR) where the signal dominates. The model used here is exact in both limits and approximate
between them:

    y = A(x) + e,  A(x) = (20 / q) log10(10^(q x / 20) + 10^(q m / 20)),  e ~ N(0, diag(s0^2 / (1 + rho))),

with x the clean dB spectrogram, m the mean dB of the noise alone (its geometric-mean level) and s0 its spread
per row. q = 2 adds powers, as a linear STFT bin does on average; a mel band sums the magnitudes of several bins, so
signal and noise add between power and magnitude, and q = 1.5 is used for mel rows. rho = max(10^((y - p) / 10)
- 3, 0) is the local SNR estimated from the observation (p the dB of the noise's mean power; the margin 3 keeps
noise-only entries, whose power exceeds p about a third of the time, at the noise-only spread). m, p and s0 come
from the dB spectrogram of unit-variance white noise, measured once per representation by a seeded Monte Carlo
over interior frames (so mel bands, the DC bin and the window are accounted for), and shift by 20 log10 sigma.
Measured over 300 noise draws of tones and a chirp (tests/domains/audio/test_audio_noisy.py), the mean of y - A(x)
stays within 2 dB everywhere and the standardised residual has a spread of 0.9-1.35.

A is differentiable and monotone in x, so gradient guidance such as DPS (Chung et al., "Diffusion Posterior
Sampling for General Noisy Inverse Problems", 2022, arXiv:2209.14687) applies; it is not linear, so the SVD and
moment-matching methods do not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch
from sciddiff.domains.audio.dsp import amplitude_to_db
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.spectrogram import magnitude
from torch import Tensor

from sciddiff.operators import Differentiable, Operator

LN10_10 = math.log(10.0) / 10.0


def noise_std_for_snr(clean: Tensor, snr_db: float) -> Tensor:
    """sigma per item (...,) of white noise giving ``snr_db`` against ``clean`` (..., T)."""
    power = clean.double().pow(2).mean(-1)
    if bool((power == 0).any()):
        raise ValueError("the clean waveform is silent; an SNR is undefined for it")
    return (power / 10.0 ** (snr_db / 10.0)).sqrt()


def add_white_noise(clean: Tensor, snr_db: float, seed: int) -> tuple[Tensor, Tensor]:
    """(noisy waveform, sigma per item): clean (..., T) plus seeded white Gaussian noise at ``snr_db``."""
    sigma = noise_std_for_snr(clean, snr_db)
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(clean.shape, generator=g, dtype=torch.float64)
    return clean.double() + sigma[..., None] * noise, sigma


@dataclass(frozen=True)
class NoiseStatistics:
    """Per-row statistics (rows,) of the dB spectrogram of unit-variance white noise: mean dB, dB of the mean power,
    and the standard deviation in dB."""

    mean_db: Tensor
    power_db: Tensor
    std_db: Tensor

    def at(self, sigma: float) -> NoiseStatistics:
        """The statistics for noise of standard deviation ``sigma``."""
        shift = 20.0 * math.log10(sigma)
        return NoiseStatistics(self.mean_db + shift, self.power_db + shift, self.std_db)


@lru_cache(maxsize=8)
def unit_noise_statistics(rep: Representation, contexts: int = 64, seed: int = 0) -> NoiseStatistics:
    """Monte Carlo estimate over ``contexts`` seeded white-noise contexts, frames clear of the edge padding."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(contexts, rep.length, generator=g, dtype=torch.float64)
    db = amplitude_to_db(magnitude(noise, rep.spec), -400.0)[:, : rep.rows]
    centres = torch.arange(rep.frames) * rep.spec.hop_length
    half = rep.spec.n_fft // 2
    interior = (centres >= half) & (centres + half <= rep.length)
    frames = db[..., interior].transpose(0, 1).reshape(rep.rows, -1)
    power = torch.logsumexp(frames * LN10_10, dim=1) - math.log(frames.shape[1])
    return NoiseStatistics(frames.mean(1), power / LN10_10, frames.std(1))


SNR_MARGIN = 3.0


def addition_exponent(rep: Representation) -> float:
    """q of the module docstring: 2 (powers add) for linear rows, 1.5 for mel rows."""
    return 1.5 if rep.spec.scale == "mel" else 2.0


def level_sum_db(x: Tensor, noise_db: Tensor, q: float) -> Tensor:
    """(20 / q) log10(10^(q x / 20) + 10^(q noise_db / 20)), computed stably as a log-sum-exp."""
    k = q * LN10_10 / 2.0
    return torch.logaddexp(x * k, noise_db.to(x) * k) / k


def noisy_operator(rep: Representation, stats: NoiseStatistics) -> Operator:
    """A(x) on (B, 1, rows, frames) dB spectrograms (see the module docstring)."""
    level, q = stats.mean_db.reshape(1, 1, -1, 1), addition_exponent(rep)
    return Differentiable(lambda x: level_sum_db(x, level, q), rep.shape, rep.shape, name=f"noisy dB (q={q})")


def observation_std(y: Tensor, stats: NoiseStatistics) -> Tensor:
    """Per-entry standard deviation (dB) of the Gaussian likelihood for an observed noisy spectrogram y (1, rows,
    frames): s0 / sqrt(1 + rho) with the plug-in local SNR rho."""
    p, s0 = stats.power_db.reshape(1, -1, 1).to(y), stats.std_db.reshape(1, -1, 1).to(y)
    rho = (torch.exp((y - p) * LN10_10) - SNR_MARGIN).clamp(min=0.0)
    return s0 / torch.sqrt(1.0 + rho)
