"""Waveform-level pieces of restoration: context windows, the zero-phase crossover filters and the denoising gain."""

import math

import torch
from sciddiff.domains.audio.dsp import istft, stft
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.restore import butterworth, contexts, spectral_gain
from sciddiff.domains.audio.spectrogram import SpectrogramConfig

F64 = torch.float64
MEL = Representation(SpectrogramConfig(n_fft=512, hop_length=256, scale="mel", n_mels=32), frames=16)
LINEAR = Representation(SpectrogramConfig(n_fft=512, hop_length=256, scale="linear"), frames=16)


def test_contexts_cover_the_input_and_pad_the_last_with_zeros() -> None:
    wave = torch.arange(10, dtype=F64)
    windows, starts = contexts(wave, 4)
    assert starts == [0, 4, 8] and torch.equal(windows.reshape(-1)[:10], wave)
    assert torch.equal(windows[2], torch.tensor([8.0, 9.0, 0.0, 0.0], dtype=F64))


def test_low_and_high_pass_split_a_two_tone_signal_at_the_cutoff() -> None:
    t = torch.arange(16000, dtype=F64) / 16000
    low, high = torch.sin(2 * math.pi * 500 * t), torch.sin(2 * math.pi * 6000 * t)
    inner = slice(2000, 14000)  # away from the filter's edge transients
    torch.testing.assert_close(butterworth(low + high, 3000.0, 16000, "lowpass")[inner], low[inner], atol=1e-6, rtol=0)
    torch.testing.assert_close(
        butterworth(low + high, 3000.0, 16000, "highpass")[inner], high[inner], atol=1e-6, rtol=0
    )


def test_denoising_gain_is_one_for_the_observation_itself_and_the_level_ratio_otherwise() -> None:
    g = torch.Generator().manual_seed(0)
    wave = 0.1 * torch.randn(2, MEL.length, generator=g, dtype=F64)
    for rep in (MEL, LINEAR):
        observed = rep.analyse(wave)
        unit = spectral_gain(rep, observed, observed)
        inside = slice(1, -1) if rep is MEL else slice(None)  # mel triangles put no weight on DC and Nyquist
        torch.testing.assert_close(unit[:, inside], torch.ones_like(unit[:, inside]))
        spec = stft(wave, 512, 256)
        if rep is LINEAR:
            torch.testing.assert_close(istft(unit * spec, 512, 256, length=rep.length), wave)
        quieter = spectral_gain(rep, observed - 20.0, observed)
        torch.testing.assert_close(quieter[:, inside], torch.full_like(quieter[:, inside], 0.1))
        assert torch.equal(spectral_gain(rep, observed + 6.0, observed), unit)  # never amplifies
