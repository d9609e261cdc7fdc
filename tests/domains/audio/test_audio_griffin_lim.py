"""Griffin-Lim: monotone spectral convergence without momentum; the fast variant beats it at equal iterations."""

import math

import pytest
import torch
from sciddiff.domains.audio.dsp import griffin_lim, stft

F64 = torch.float64
N_FFT, HOP = 256, 64


def _test_magnitude() -> torch.Tensor:
    sr = 8000
    t = torch.arange(4000, dtype=F64) / sr
    note = sum(0.4 / k * torch.sin(2 * math.pi * 330 * k * t) for k in range(1, 5))
    chirp = 0.3 * torch.sin(2 * math.pi * (300 * t + 2000 * t**2))
    return stft(note * torch.exp(-2 * t) + chirp, N_FFT, HOP).abs()


def test_plain_griffin_lim_never_increases_inconsistency() -> None:
    """Griffin & Lim (1984): || |STFT x_n| - A || is non-increasing for alpha = 0."""
    sc = griffin_lim(_test_magnitude(), N_FFT, HOP, n_iter=40, momentum=0.0, length=4000).spectral_convergence
    assert bool((sc[1:] <= sc[:-1] + 1e-12).all())
    assert float(sc[-1]) < 0.5 * float(sc[0])


def test_fast_griffin_lim_beats_plain_at_equal_iterations() -> None:
    mag = _test_magnitude()
    fast = griffin_lim(mag, N_FFT, HOP, n_iter=40, momentum=0.99, length=4000).spectral_convergence
    plain = griffin_lim(mag, N_FFT, HOP, n_iter=40, momentum=0.0, length=4000).spectral_convergence
    assert float(fast[-1]) < 0.9 * float(plain[-1])
    windows = fast.reshape(4, 10).mean(1)  # monotone in 10-iteration averages, though not step by step
    assert bool((windows[1:] < windows[:-1]).all())


def test_returned_waveform_has_the_last_reported_convergence_and_is_seeded() -> None:
    mag = _test_magnitude()
    result = griffin_lim(mag, N_FFT, HOP, n_iter=5, length=4000, generator=3)
    sc = torch.linalg.vector_norm(stft(result.waveform, N_FFT, HOP).abs() - mag) / torch.linalg.vector_norm(mag)
    assert float(sc) == pytest.approx(float(result.spectral_convergence[-1]), rel=1e-10)
    again = griffin_lim(mag, N_FFT, HOP, n_iter=5, length=4000, generator=3).waveform
    other = griffin_lim(mag, N_FFT, HOP, n_iter=5, length=4000, generator=4).waveform
    assert torch.equal(result.waveform, again)
    assert float((result.waveform - other).abs().max()) > 1e-3


def test_griffin_lim_rejects_bad_arguments() -> None:
    mag = _test_magnitude()
    with pytest.raises(ValueError, match="non-negative"):
        griffin_lim(-mag, N_FFT, HOP)
    with pytest.raises(ValueError, match="unknown init 'ones'"):
        griffin_lim(mag, N_FFT, HOP, init="ones")
    with pytest.raises(ValueError, match="momentum must be in"):
        griffin_lim(mag, N_FFT, HOP, momentum=2.5)
