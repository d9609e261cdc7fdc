"""Restoration of waveforms with a trained spectrogram prior: gap inpainting, bandwidth extension, denoising.

Each task is posterior sampling p(x | y) of the dB spectrogram x of one context with the shared operators and
guidance methods (:func:`sciddiff.posterior_sample`), then a waveform:

- inpainting: the context is centred on the gap, the gap's samples are zeroed, the frames its window touches are
  unknown (a :class:`~sciddiff.operators.Mask`); the posterior-mean spectrogram goes through Griffin-Lim started
  from the input's phases, and the result replaces the gap, with 5 ms raised-cosine cross-fades at its edges.
- bandwidth extension: the input is low-passed at the cut-off (8th-order Butterworth, zero phase), the rows above it
  are unknown; Griffin-Lim is started from the input's phases and only its part above the cut-off is added to the
  input (the same filter, high-pass).
- denoising: y is the dB spectrogram of the noisy input under the approximate likelihood of
  :mod:`~sciddiff.domains.audio.noisy`; the posterior mean x sets a gain min(1, 10^((x - y) / 20)) per row, spread
  to the STFT bins through the mel filterbank's normalised transpose (G_k = sum_m W_mk g_m / sum_m W_mk) for mel
  rows, which multiplies the noisy STFT (so the noisy phases are kept, as in spectral subtraction) before the
  least-squares inverse STFT.

Longer inputs are cut into consecutive contexts (the last zero-padded) for bandwidth extension and denoising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sciddiff.domains.audio.dsp import istft, stft
from sciddiff.domains.audio.masks import band_operator, band_rows, gap_frames, gap_operator, gap_samples
from sciddiff.domains.audio.noisy import noisy_operator, observation_std, unit_noise_statistics
from sciddiff.domains.audio.representation import Representation
from scipy.signal import butter, sosfiltfilt
from torch import Tensor

import sciddiff
from sciddiff.guidance.posterior import get_method
from sciddiff.operators import Differentiable, LinearOperator, Operator
from sciddiff.train.problems import state_problem

CROSSFADE = 0.005
FILTER_ORDER = 8
TASKS = ("inpaint", "bandwidth", "denoise")


@dataclass
class Restoration:
    """A restored waveform and the spectrogram posterior of each context (dB, (contexts, n, 1, rows, frames)).

    ``observed`` holds the input's dB spectrogram of each context, ``marks`` the gap (s, within the first context)
    or the cut-off (Hz) for figures, ``window_start`` the first sample of each context in the input."""

    task: str
    waveform: Tensor
    samples: Tensor
    observed: Tensor
    window_start: list[int]
    marks: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)

    @property
    def mean(self) -> Tensor:
        """The posterior-mean dB spectrogram of each context, (contexts, 1, rows, frames)."""
        return self.samples.mean(1)


def posterior_db(
    model: Any,
    op: Operator,
    y: Tensor,
    noise: Any,
    *,
    method: str = "pigdm",
    steps: int = 50,
    n_samples: int = 8,
    seed: int = 0,
    options: dict[str, Any] | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Posterior samples (n, 1, rows, frames) in dB for y = op(x) + noise, op acting on dB spectrograms.

    A linear op is lifted to the state by the adapter's affine decode (``state_problem``); a nonlinear one is
    composed with the decode as a differentiable operator on the state.
    """
    adapter = model.adapter
    guide = get_method(method, **dict(options or {}))
    if isinstance(op, LinearOperator):
        op_state, y_state = state_problem(adapter, op, y, needs_svd=guide.requirements.operator == "svd")
    else:
        spec = adapter.state_spec()
        shape = next(iter(spec.leaves.values())).event_shape
        op_state = Differentiable(lambda x: op.forward(adapter.decode(x)), shape, op.out_shape, name=repr(op))
        y_state = y
    xs, info = sciddiff.posterior_sample(
        model.denoiser,
        model.process,
        op_state,
        y_state.to(torch.float32),
        noise,
        guide,
        steps=steps,
        n_samples=n_samples,
        generator=seed,
        return_info=True,
    )
    return adapter.decode(xs), info.cost.as_dict()


def contexts(waveform: Tensor, length: int) -> tuple[Tensor, list[int]]:
    """Consecutive windows (n, length) of a waveform (T,), the last zero-padded, and their start samples."""
    n = max(1, math.ceil(waveform.shape[-1] / length))
    padded = torch.zeros(n * length, dtype=torch.float64)
    padded[: waveform.shape[-1]] = waveform
    return padded.reshape(n, length), [i * length for i in range(n)]


def butterworth(waveform: Tensor, cutoff_hz: float, sample_rate: int, btype: str) -> Tensor:
    """Zero-phase 8th-order Butterworth low- or high-pass (scipy ``sosfiltfilt``) along the last axis."""
    sos = butter(FILTER_ORDER, cutoff_hz, btype=btype, fs=sample_rate, output="sos")
    return torch.from_numpy(np.ascontiguousarray(sosfiltfilt(sos, waveform.numpy(), axis=-1)))


def spectral_gain(rep: Representation, estimate_db: Tensor, observed_db: Tensor) -> Tensor:
    """Gains in [0, 1] per STFT bin (B, n_fft/2 + 1, frames) from dB spectrograms (B, 1, rows, frames): see the
    module docstring."""
    rows = (10.0 ** ((estimate_db - observed_db)[:, 0] / 20.0)).clamp(max=1.0)
    if rep.spec.scale == "linear":
        return torch.cat([rows, rows[:, -1:]], dim=1)
    w = rep.spec.filterbank(rows.dtype)
    weight = w.sum(0)[:, None]
    spread = w.T @ rows
    return torch.where(weight > 0, spread / weight.clamp(min=torch.finfo(rows.dtype).tiny), torch.zeros_like(spread))


def _phases(rep: Representation, waveforms: Tensor) -> Tensor:
    return stft(waveforms, rep.spec.n_fft, rep.spec.hop_length).angle()


def inpaint(
    model: Any, waveform: Tensor | np.ndarray, start: float, duration: float, *, noise_std: float = 0.5, **kw: Any
) -> Restoration:
    """Fill the gap [start, start + duration) s of ``waveform`` (T,); see the module docstring."""
    rep = model.adapter.rep
    wave = torch.as_tensor(waveform, dtype=torch.float64).clone()
    total = wave.shape[-1]
    if duration > rep.duration:
        gap_samples(rep, 0.0, duration)  # raises: the gap is longer than the context
    s0, s1 = round(start * rep.sample_rate), round((start + duration) * rep.sample_rate)
    if s0 < 0 or s1 > total:
        raise ValueError(f"gap [{start:.3f}, {start + duration:.3f}) s lies outside the input of {total} samples")
    w0 = min(max(0, (s0 + s1) // 2 - rep.length // 2), max(0, total - rep.length))
    wave[s0:s1] = 0.0
    window = torch.zeros(rep.length, dtype=torch.float64)
    window[: min(rep.length, total - w0)] = wave[w0 : w0 + rep.length]
    local = (s0 - w0) / rep.sample_rate
    op = gap_operator(rep, local, duration)
    observed = rep.analyse(window)
    samples, cost = posterior_db(model, op, op.forward(observed)[0], noise_std, **kw)
    phase = _phases(rep, window[None])
    missing = gap_frames(rep, local, duration)
    g = torch.Generator().manual_seed(int(kw.get("seed", 0)))
    phase[..., missing] = 2 * math.pi * torch.rand(phase[..., missing].shape, generator=g, dtype=torch.float64)
    filled = rep.synthesise(samples.mean(0, keepdim=True), phase=phase)[0]
    index = torch.arange(rep.length, dtype=torch.float64) + w0
    away = torch.clamp(torch.maximum(s0 - index, index - (s1 - 1)), min=0.0)  # samples outside the gap
    fade = round(CROSSFADE * rep.sample_rate) + 1
    weight = torch.where(away < fade, 0.5 + 0.5 * torch.cos(math.pi * away / fade), 0.0)
    n = min(rep.length, total - w0)
    out = wave.clone()
    out[w0 : w0 + n] = ((1 - weight) * window + weight * filled)[:n]
    return Restoration("inpaint", out, samples[None], observed[None], [w0], {"gap": (local, local + duration)}, cost)


def extend_bandwidth(
    model: Any, waveform: Tensor | np.ndarray, cutoff_hz: float, *, noise_std: float = 0.5, **kw: Any
) -> Restoration:
    """Recover the band above ``cutoff_hz`` of a (low-passed) waveform (T,); see the module docstring."""
    rep = model.adapter.rep
    band_rows(rep, cutoff_hz)  # validates the cut-off before any work
    wave = torch.as_tensor(waveform, dtype=torch.float64)
    low = butterworth(wave, cutoff_hz, rep.sample_rate, "lowpass")
    windows, starts = contexts(low, rep.length)
    op = band_operator(rep, cutoff_hz)
    observed = rep.analyse(windows)
    samples, costs = [], {}
    for j in range(len(starts)):
        s, costs = posterior_db(model, op, op.forward(observed[j : j + 1])[0], noise_std, **kw)
        samples.append(s)
    post = torch.stack(samples)
    full = rep.synthesise(post.mean(1), phase=_phases(rep, windows)).reshape(-1)[: wave.shape[-1]]
    out = low + butterworth(full, cutoff_hz, rep.sample_rate, "highpass")
    return Restoration("bandwidth", out, post, observed[:, None], starts, {"cutoff_hz": cutoff_hz}, costs)


def denoise(
    model: Any,
    waveform: Tensor | np.ndarray,
    *,
    snr_db: float | None = None,
    noise_sigma: float | None = None,
    method: str = "dps",
    **kw: Any,
) -> Restoration:
    """Remove white Gaussian noise of standard deviation ``noise_sigma`` (or the one implied by the input's SNR
    ``snr_db``: sigma^2 = mean(y^2) / (1 + 10^(SNR / 10))) from a waveform (T,)."""
    rep = model.adapter.rep
    wave = torch.as_tensor(waveform, dtype=torch.float64)
    if (snr_db is None) == (noise_sigma is None):
        raise ValueError("give exactly one of snr_db and noise_sigma for denoising")
    sigma = noise_sigma if noise_sigma is not None else math.sqrt(wave.pow(2).mean() / (1 + 10 ** (snr_db / 10)))
    if not sigma > 0:
        raise ValueError(f"the noise standard deviation must be positive, got {sigma}")
    stats = unit_noise_statistics(rep).at(float(sigma))
    op = noisy_operator(rep, stats)
    windows, starts = contexts(wave, rep.length)
    observed = rep.analyse(windows)
    samples, costs = [], {}
    for j in range(len(starts)):
        y = observed[j]
        s, costs = posterior_db(model, op, y, observation_std(y, stats), method=method, **kw)
        samples.append(s)
    post = torch.stack(samples)
    spec = stft(windows, rep.spec.n_fft, rep.spec.hop_length)
    gain = spectral_gain(rep, post.mean(1), observed)
    clean = istft(gain * spec, rep.spec.n_fft, rep.spec.hop_length, length=rep.length)
    out = clean.reshape(-1)[: wave.shape[-1]]
    return Restoration("denoise", out, post, observed[:, None], starts, {"noise_sigma": float(sigma)}, costs)
