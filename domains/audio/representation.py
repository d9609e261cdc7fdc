"""The audio model's time-frequency image: a fixed context of frames of a log-magnitude spectrogram in dB.

A waveform of ``length = hop (frames - 1)`` samples has exactly ``frames`` centred STFT frames. Rows are the linear
STFT bins 0..n_fft/2 - 1 (the Nyquist bin is dropped, so the row count n_fft/2 halves cleanly in a U-Net; it is put
back at the floor for synthesis) or the mel bands. Values are dB = 20 log10(max(|X|, 10^(db_min / 20))), the
physical units of the domain; back to a waveform by fast Griffin-Lim (Perraudin et al., "A fast Griffin-Lim
algorithm", 2013), after a non-negative least-squares mel inversion for mel rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from sciddiff.domains.audio.dsp import amplitude_to_db, db_to_amplitude, griffin_lim, mel_points, mel_pseudo_inverse
from sciddiff.domains.audio.io import check_waveform
from sciddiff.domains.audio.spectrogram import SpectrogramConfig, magnitude
from torch import Tensor


@dataclass(frozen=True)
class Representation:
    """A spectrogram configuration plus the context length in frames."""

    spec: SpectrogramConfig
    frames: int = 64

    def __post_init__(self) -> None:
        if self.frames < 2:
            raise ValueError(f"frames must be >= 2, got {self.frames}")

    @property
    def sample_rate(self) -> int:
        return self.spec.sample_rate

    @property
    def length(self) -> int:
        """Samples in one context: hop (frames - 1), so that the centred STFT has exactly ``frames`` frames."""
        return self.spec.hop_length * (self.frames - 1)

    @property
    def duration(self) -> float:
        """The context in seconds."""
        return self.length / self.sample_rate

    @property
    def rows(self) -> int:
        """n_mels for mel rows, n_fft / 2 for linear rows (the Nyquist bin dropped)."""
        return self.spec.n_mels if self.spec.scale == "mel" else self.spec.n_fft // 2

    @property
    def shape(self) -> tuple[int, int, int]:
        """The per-sample state and raw shape (1, rows, frames)."""
        return (1, self.rows, self.frames)

    def frequencies(self) -> np.ndarray:
        """Row frequencies in Hz: bin frequencies k sr / n_fft, or mel band centres."""
        return self.spec.frequencies()[: self.rows]

    def times(self) -> np.ndarray:
        """Frame centres in seconds, m hop / sr."""
        return self.spec.times(self.frames)

    def row_support(self) -> tuple[np.ndarray, np.ndarray]:
        """(lowest, highest) frequency in Hz that reaches each row: the Hann main lobe f_k -+ 2 sr / n_fft of a linear
        bin, or the triangle's corners f_m, f_{m+2} of a mel band."""
        if self.spec.scale == "mel":
            pts = mel_points(self.spec.n_mels, self.spec.f_min, self.spec.nyquist_max, self.spec.mel_scale).numpy()
            return pts[:-2], pts[2:]
        f, width = self.frequencies(), 2.0 * self.sample_rate / self.spec.n_fft
        return np.clip(f - width, 0.0, None), f + width

    def analyse(self, waveform: Tensor | np.ndarray) -> Tensor:
        """Waveforms (B, length) or (length,) in [-1, 1] -> dB spectrograms (B, 1, rows, frames), float64."""
        wave = torch.as_tensor(waveform, dtype=torch.float64)
        wave = wave[None] if wave.dim() == 1 else wave
        if wave.dim() != 2 or wave.shape[-1] != self.length:
            raise ValueError(
                f"waveform has shape {tuple(torch.as_tensor(waveform).shape)}; one context is {self.length} samples "
                f"({self.duration:.3f} s at {self.sample_rate} Hz), as (length,) or (batch, length)"
            )
        check_waveform(wave.numpy(), "waveform")
        db = amplitude_to_db(magnitude(wave, self.spec), self.spec.db_min)
        return db[:, None, : self.rows]

    def linear_magnitude(self, db: Tensor) -> Tensor:
        """dB spectrograms (B, 1, rows, frames) -> linear STFT magnitudes (B, n_fft/2 + 1, frames) for synthesis:
        values below the floor are clamped to it, a mel spectrogram is inverted by NNLS, the Nyquist row is the floor."""
        if tuple(db.shape[1:]) != self.shape:
            raise ValueError(f"spectrogram has shape {tuple(db.shape)}; expected (batch, *{self.shape})")
        mag = db_to_amplitude(db[:, 0].double().clamp(min=self.spec.db_min))
        if self.spec.scale == "mel":
            return mel_pseudo_inverse(mag, self.spec.filterbank())
        floor = torch.full_like(mag[:, :1], 10.0 ** (self.spec.db_min / 20.0))
        return torch.cat([mag, floor], dim=1)

    def synthesise(
        self, db: Tensor, *, n_iter: int = 100, momentum: float = 0.99, seed: int = 0, phase: Tensor | None = None
    ) -> Tensor:
        """dB spectrograms (B, 1, rows, frames) -> waveforms (B, length) by fast Griffin-Lim, from random initial
        phases drawn from ``seed`` or from ``phase`` (B, n_fft/2 + 1, frames) radians."""
        mag = self.linear_magnitude(db)
        return griffin_lim(
            mag,
            self.spec.n_fft,
            self.spec.hop_length,
            n_iter=n_iter,
            momentum=momentum,
            length=self.length,
            init="random" if phase is None else phase,
            generator=seed,
        ).waveform

    def attrs(self) -> dict[str, float | int | str]:
        """The configuration as netCDF-safe attributes."""
        return {**asdict(self.spec), "frames": self.frames, "units": "dB"}
