"""Seeded synthetic sounds in four labelled classes: harmonic notes, chirps, percussive hits and noise textures.

Every generator is deterministic given its arguments; the class samplers draw their parameters from a numpy
Generator, and sample i of a dataset uses the stream SeedSequence([seed, i]) with label i mod 4, so a sample never
depends on the dataset size and the classes are balanced. Each sound is scaled to a peak drawn from [0.3, 0.9].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy.signal import butter, sosfiltfilt
from scipy.signal import chirp as scipy_chirp
from torch.utils.data import Dataset

CLASSES = ("harmonic_note", "chirp", "percussive_hit", "noise_texture")
CHIRP_LAWS = {"linear": "linear", "exponential": "logarithmic"}


@dataclass(frozen=True)
class SynthConfig:
    """Sample rate (Hz) and fixed duration (s) of every generated sound."""

    sample_rate: int = 16000
    duration: float = 1.0

    @property
    def n_samples(self) -> int:
        return round(self.sample_rate * self.duration)

    def times(self) -> np.ndarray:
        return np.arange(self.n_samples) / self.sample_rate


@dataclass(frozen=True)
class Sound:
    """A generated waveform, its class label (index into CLASSES) and the parameters that produced it."""

    waveform: np.ndarray
    label: int
    params: dict[str, Any] = field(default_factory=dict)


def adsr_envelope(
    t: np.ndarray, attack: float, decay: float, sustain: float, release: float, gate: float
) -> np.ndarray:
    """Piecewise-linear ADSR: 0 -> 1 over ``attack``, -> ``sustain`` over ``decay``, held until ``gate``, -> 0 over
    ``release`` (all in seconds)."""
    if min(attack, decay, release) <= 0 or not 0 <= sustain <= 1 or gate < attack + decay:
        raise ValueError(
            f"need positive attack/decay/release, sustain in [0, 1] and gate >= attack + decay; got attack={attack}, "
            f"decay={decay}, sustain={sustain}, release={release}, gate={gate}"
        )
    knots = [0.0, attack, attack + decay, gate, gate + release]
    return np.interp(t, knots, [0.0, 1.0, sustain, sustain, 0.0], right=0.0)


def harmonic_note(
    pitch: float,
    harmonics: Sequence[float],
    config: SynthConfig,
    *,
    vibrato_rate: float = 0.0,
    vibrato_depth: float = 0.0,
    envelope: np.ndarray | None = None,
) -> np.ndarray:
    """sum_k a_k sin(k phi(t)) for f(t) = pitch (1 + depth sin(2 pi rate t)), phi = 2 pi int f, times an envelope.

    phi(t) = 2 pi pitch t + (pitch depth / rate)(1 - cos(2 pi rate t)) in closed form.
    """
    nyquist = config.sample_rate / 2
    top = len(harmonics) * pitch * (1 + abs(vibrato_depth))
    if pitch <= 0 or top >= nyquist:
        raise ValueError(f"harmonic {len(harmonics)} of pitch {pitch} Hz reaches {top:.1f} Hz >= Nyquist {nyquist} Hz")
    t = config.times()
    phase = 2 * math.pi * pitch * t
    if vibrato_rate > 0:
        phase = phase + (pitch * vibrato_depth / vibrato_rate) * (1 - np.cos(2 * math.pi * vibrato_rate * t))
    wave = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(harmonics))
    return wave if envelope is None else wave * envelope


def chirp_frequency(t: np.ndarray, f0: float, f1: float, duration: float, law: str) -> np.ndarray:
    """Instantaneous frequency in Hz: f0 + (f1 - f0) t / T (linear) or f0 (f1 / f0)^(t / T) (exponential)."""
    if law == "linear":
        return f0 + (f1 - f0) * t / duration
    if law == "exponential":
        return f0 * (f1 / f0) ** (t / duration)
    raise ValueError(f"unknown chirp law {law!r}; choose one of {tuple(CHIRP_LAWS)}")


def chirp(f0: float, f1: float, law: str, config: SynthConfig) -> np.ndarray:
    """A unit-amplitude sine sweep from f0 to f1 Hz over the whole duration (scipy.signal.chirp), starting at 0."""
    if law not in CHIRP_LAWS:
        raise ValueError(f"unknown chirp law {law!r}; choose one of {tuple(CHIRP_LAWS)}")
    return scipy_chirp(config.times(), f0, config.duration, f1, method=CHIRP_LAWS[law], phi=-90)


def percussive_hit(
    kind: str,
    config: SynthConfig,
    rng: np.random.Generator,
    *,
    onset: float,
    decay_time: float,
    pitch_start: float = 200.0,
    pitch_end: float = 60.0,
    pitch_time: float = 0.05,
    brightness: float = 4000.0,
) -> np.ndarray:
    """A hit at ``onset`` s decaying as exp(-(t - onset) / decay_time): low-passed noise (``"noise"``) or a sine whose
    frequency falls as pitch_end + (pitch_start - pitch_end) exp(-(t - onset) / pitch_time) (``"pitched"``)."""
    t = config.times()
    s = np.clip(t - onset, 0.0, None)
    envelope = np.where(t >= onset, np.exp(-s / decay_time), 0.0) * np.clip(s / 1e-3, 0.0, 1.0)
    if kind == "noise":
        sos = butter(2, brightness, btype="lowpass", fs=config.sample_rate, output="sos")
        source = sosfiltfilt(sos, rng.standard_normal(t.size))
        source = source / np.abs(source).max()
    elif kind == "pitched":
        phase = 2 * math.pi * (pitch_end * s + (pitch_start - pitch_end) * pitch_time * (1 - np.exp(-s / pitch_time)))
        source = np.sin(phase)
    else:
        raise ValueError(f"unknown percussive kind {kind!r}; choose 'noise' or 'pitched'")
    return source * envelope


def noise_texture(
    config: SynthConfig, rng: np.random.Generator, *, exponent: float, band: tuple[float, float] | None = None
) -> np.ndarray:
    """Stationary Gaussian noise with power spectrum ~ f^(-exponent) (0 white, 1 pink, 2 brown), optionally
    band-passed to ``band`` Hz (4th-order Butterworth, zero phase); unit peak."""
    n = config.n_samples
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / config.sample_rate)
    spectrum[1:] *= freqs[1:] ** (-exponent / 2)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    if band is not None:
        lo, hi = band
        if not 0 < lo < hi < config.sample_rate / 2:
            raise ValueError(f"band must satisfy 0 < lo < hi < {config.sample_rate / 2} Hz, got {band}")
        x = sosfiltfilt(butter(4, [lo, hi], btype="bandpass", fs=config.sample_rate, output="sos"), x)
    return x / np.abs(x).max()


def _fade(config: SynthConfig, seconds: float = 0.01) -> np.ndarray:
    """Raised-cosine fade in and out over ``seconds`` at each end."""
    t, d = config.times(), config.duration
    ramp = np.clip(np.minimum(t, d - t) / seconds, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(math.pi * ramp)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _sample_note(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, dict[str, Any]]:
    pitch = _log_uniform(rng, 110.0, 880.0)
    depth, rate = float(rng.uniform(0.0, 0.02)), float(rng.uniform(4.0, 7.0))
    n_harm = int(min(12, (0.45 * config.sample_rate) // (pitch * (1 + depth))))
    rolloff = float(rng.uniform(0.8, 2.0))
    amps = [1.0] + [float(k**-rolloff * rng.uniform(0.3, 1.0)) for k in range(2, n_harm + 1)]
    attack, decay = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.05, 0.2))
    sustain, release = float(rng.uniform(0.4, 0.9)), float(rng.uniform(0.05, 0.2))
    gate = max(float(rng.uniform(0.5, 0.75)) * config.duration, attack + decay)  # short sounds: sustain starts at once
    env = adsr_envelope(config.times(), attack, decay, sustain, release, gate)
    wave = harmonic_note(pitch, amps, config, vibrato_rate=rate, vibrato_depth=depth, envelope=env)
    params = dict(
        pitch=pitch,
        harmonics=amps,
        vibrato_rate=rate,
        vibrato_depth=depth,
        attack=attack,
        decay=decay,
        sustain=sustain,
        release=release,
        gate=gate,
    )
    return wave, params


def _sample_chirp(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, dict[str, Any]]:
    law = str(rng.choice(tuple(CHIRP_LAWS)))
    ratio = _log_uniform(rng, 2.0, 16.0)
    low = _log_uniform(rng, 100.0, 6000.0 / ratio)
    f0, f1 = (low, low * ratio) if rng.random() < 0.5 else (low * ratio, low)
    return chirp(f0, f1, law, config) * _fade(config), dict(f0=f0, f1=f1, law=law)


def _sample_hit(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, dict[str, Any]]:
    kind = str(rng.choice(("noise", "pitched")))
    params: dict[str, Any] = dict(
        kind=kind, onset=float(rng.uniform(0.0, 0.3)) * config.duration, decay_time=float(rng.uniform(0.03, 0.15))
    )
    if kind == "noise":
        params["brightness"] = _log_uniform(rng, 1000.0, 0.45 * config.sample_rate)
    else:
        params.update(pitch_start=_log_uniform(rng, 150.0, 500.0), pitch_time=float(rng.uniform(0.02, 0.08)))
        params["pitch_end"] = params["pitch_start"] * float(rng.uniform(0.3, 0.6))
    return percussive_hit(config=config, rng=rng, **params), params


def _sample_noise(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, dict[str, Any]]:
    exponent = float(rng.uniform(0.0, 2.0))
    band = None
    if rng.random() < 0.5:
        lo = _log_uniform(rng, 100.0, 2000.0)
        band = (lo, min(lo * _log_uniform(rng, 2.0, 8.0), 0.45 * config.sample_rate))
    return noise_texture(config, rng, exponent=exponent, band=band) * _fade(config, 0.02), dict(
        exponent=exponent, band=band
    )


_SAMPLERS = (_sample_note, _sample_chirp, _sample_hit, _sample_noise)


def sample_sound(label: int | str, rng: np.random.Generator, config: SynthConfig = SynthConfig()) -> Sound:
    """One random sound of the given class (index or name in CLASSES), scaled to a random peak in [0.3, 0.9]."""
    index = CLASSES.index(label) if isinstance(label, str) and label in CLASSES else label
    if isinstance(index, str) or not 0 <= int(index) < len(CLASSES):
        raise ValueError(f"unknown sound class {label!r}; choose an index < {len(CLASSES)} or one of {CLASSES}")
    index = int(index)
    wave, params = _SAMPLERS[index](rng, config)
    peak = float(rng.uniform(0.3, 0.9))
    return Sound(wave * (peak / np.abs(wave).max()), index, {**params, "peak": peak})


def generate(index: int, seed: int, config: SynthConfig = SynthConfig()) -> Sound:
    """Sample ``index`` of the dataset with ``seed``: class index mod 4, stream SeedSequence([seed, index])."""
    return sample_sound(index % len(CLASSES), np.random.default_rng(np.random.SeedSequence([seed, index])), config)


class SynthSounds(Dataset):
    """``n`` generated sounds as (float64 waveform tensor (T,), label) items, built lazily by :func:`generate`."""

    def __init__(self, n: int, seed: int, config: SynthConfig = SynthConfig()) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n, self.seed, self.config = n, seed, config

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if not 0 <= index < self.n:
            raise IndexError(f"index {index} out of range for {self.n} sounds")
        sound = generate(index, self.seed, self.config)
        return torch.from_numpy(sound.waveform), sound.label

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All sounds stacked: waveforms (n, T) float64 and labels (n,) int64."""
        items = [self[i] for i in range(self.n)]
        return torch.stack([w for w, _ in items]), torch.tensor([lab for _, lab in items])
