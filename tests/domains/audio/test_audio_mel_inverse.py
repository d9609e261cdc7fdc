"""Non-negative mel inversion: exact on the filterbank's row space, in the mel's range otherwise."""

import pytest
import torch
from sciddiff.domains.audio.dsp import mel_filterbank, mel_pseudo_inverse, stft

F64 = torch.float64


def test_recovered_spectrogram_is_nonnegative_and_reproduces_the_mel() -> None:
    w = mel_filterbank(16000, 512, 64)
    x = torch.randn(8000, generator=torch.Generator().manual_seed(0), dtype=F64)
    x = torch.cumsum(x, 0) * 1e-2  # a red-noise signal: a steep, realistic spectrum
    mel = w @ stft(x, 512, 128).abs()
    recovered = mel_pseudo_inverse(mel, w, n_iter=200)
    clamped = mel_pseudo_inverse(mel, w, n_iter=0)
    residual = float(torch.linalg.norm(w @ recovered - mel) / torch.linalg.norm(mel))
    assert float(recovered.min()) >= 0.0
    assert residual < 1e-3
    assert residual < 0.1 * float(torch.linalg.norm(w @ clamped - mel) / torch.linalg.norm(mel))


def test_exact_on_nonnegative_combinations_of_the_filters() -> None:
    """S = W^T c with c >= 0 lies in W's row space, so W^+ W S = S >= 0 and S is a fixed point of the iteration."""
    w = mel_filterbank(8000, 256, 24, scale="htk")
    c = torch.rand(24, 7, generator=torch.Generator().manual_seed(1), dtype=F64)
    s = w.T @ c
    for n_iter in (0, 50):
        torch.testing.assert_close(mel_pseudo_inverse(w @ s, w, n_iter=n_iter), s, rtol=1e-9, atol=1e-12)


def test_mel_inverse_rejects_mismatched_bands() -> None:
    with pytest.raises(ValueError, match="mel has 10 bands; the filterbank has 24"):
        mel_pseudo_inverse(torch.ones(10, 3, dtype=F64), mel_filterbank(8000, 256, 24))
