"""Observation masks on the (1, rows, frames) dB spectrogram: a time gap (inpainting) and a high band (bandwidth
extension). Both are :class:`sciddiff.operators.Mask` operators, linear in dB with an exact SVD.

- Gap [start, start + duration) seconds of the waveform: frame m is missing when its window, the samples
  m hop - n_fft/2 < n < m hop + n_fft/2 where the Hann window is non-zero, touches a gap sample.
- Band above ``cutoff_hz``: a row is missing unless everything that reaches it lies below the cut-off (the Hann
  main lobe f_k + 2 sr / n_fft of a linear bin, the upper corner of a mel triangle; see
  :meth:`Representation.row_support`), so a row is observed only if an ideal low-pass at the cut-off leaves it
  unchanged.
"""

from __future__ import annotations

import math

import torch
from sciddiff.domains.audio.representation import Representation
from torch import Tensor

from sciddiff.operators import Mask


def gap_samples(rep: Representation, start: float, duration: float) -> tuple[int, int]:
    """The gap [start, start + duration) s as sample indices [s0, s1), checked against the context."""
    if not duration > 0:
        raise ValueError(f"gap duration must be positive, got {duration} s")
    if duration > rep.duration:
        raise ValueError(
            f"gap of {duration:.3f} s is longer than the model's context of {rep.duration:.3f} s "
            f"({rep.frames} frames at hop {rep.spec.hop_length} and {rep.sample_rate} Hz); use a shorter gap"
        )
    s0, s1 = round(start * rep.sample_rate), round((start + duration) * rep.sample_rate)
    if s0 < 0 or s1 > rep.length:
        raise ValueError(
            f"gap [{start:.3f}, {start + duration:.3f}) s lies outside the context [0, {rep.duration:.3f}) s"
        )
    return s0, s1


def gap_frames(rep: Representation, start: float, duration: float) -> Tensor:
    """Boolean (frames,): True for the frames whose window touches the gap (see the module docstring)."""
    s0, s1 = gap_samples(rep, start, duration)
    centres = torch.arange(rep.frames) * rep.spec.hop_length
    half = rep.spec.n_fft // 2
    missing = (centres - half < s1 - 1) & (centres + half > s0)
    if bool(missing.all()):
        raise ValueError(
            f"gap [{start:.3f}, {start + duration:.3f}) s with the {rep.spec.n_fft}-sample window touches every "
            f"frame of the {rep.duration:.3f} s context; the model needs observed frames around a gap"
        )
    return missing


def centred_gap(rep: Representation, duration: float) -> float:
    """The start time (s) that centres a gap of ``duration`` s in the context."""
    gap_samples(rep, 0.0, duration)
    return math.floor((rep.length - round(duration * rep.sample_rate)) / 2) / rep.sample_rate


def band_rows(rep: Representation, cutoff_hz: float) -> Tensor:
    """Boolean (rows,): True for the rows an ideal low-pass at ``cutoff_hz`` changes (missing)."""
    nyquist = rep.sample_rate / 2
    if not 0 < cutoff_hz < nyquist:
        raise ValueError(f"cutoff must lie in (0, {nyquist:g}) Hz, got {cutoff_hz} Hz")
    _, upper = rep.row_support()
    missing = torch.as_tensor(upper > cutoff_hz)
    if bool(missing.all()):
        raise ValueError(f"a cut-off of {cutoff_hz} Hz leaves no row observed (lowest row reaches {upper[0]:.1f} Hz)")
    return missing


def gap_operator(rep: Representation, start: float, duration: float) -> Mask:
    """Observe every frame outside the gap."""
    keep = ~gap_frames(rep, start, duration)
    return Mask(keep.reshape(1, 1, -1).expand(rep.shape))


def band_operator(rep: Representation, cutoff_hz: float) -> Mask:
    """Observe every row below the cut-off."""
    keep = ~band_rows(rep, cutoff_hz)
    return Mask(keep.reshape(1, -1, 1).expand(rep.shape))
