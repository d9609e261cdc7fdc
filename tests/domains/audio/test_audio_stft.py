"""STFT: perfect reconstruction, the Hann 75%-overlap energy identity, and a frame-by-frame check against numpy."""

import numpy as np
import pytest
import torch
from sciddiff.domains.audio.dsp import hann, istft, n_frames, stft

F64 = torch.float64


@pytest.mark.parametrize(("n_fft", "hop"), [(512, 128), (256, 64), (400, 200), (64, 16)])
def test_stft_istft_reconstructs_exactly(n_fft: int, hop: int) -> None:
    x = torch.randn(2, 3001, generator=torch.Generator().manual_seed(0), dtype=F64)
    spec = stft(x, n_fft, hop)
    assert spec.shape == (2, n_fft // 2 + 1, n_frames(3001, n_fft, hop))
    assert float((istft(spec, n_fft, hop, length=3001) - x).abs().max()) < 1e-6


def test_stft_frames_match_numpy_rfft_of_windowed_segments() -> None:
    n_fft, hop = 128, 32
    x = torch.randn(1000, generator=torch.Generator().manual_seed(1), dtype=F64)
    spec = stft(x, n_fft, hop, center=False).numpy()
    w = hann(n_fft).numpy()
    for m in (0, 5, spec.shape[-1] - 1):
        expected = np.fft.rfft(x.numpy()[m * hop : m * hop + n_fft] * w)
        np.testing.assert_allclose(spec[:, m], expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n_fft", [64, 256])
def test_hann_75_percent_overlap_energy_identity(n_fft: int) -> None:
    """sum_m w^2[n - mH] = 3N / (8H) = 3/2 at H = N/4, so sum_{m,k} |X|^2 = N * 3/2 * sum x^2 (Parseval per frame)."""
    hop = n_fft // 4
    x = torch.zeros(40 * n_fft + n_fft // 2, dtype=F64)  # zeros in the first and last n_fft samples
    x[n_fft:-n_fft] = torch.randn(x.numel() - 2 * n_fft, generator=torch.Generator().manual_seed(2), dtype=F64)
    power = stft(x, n_fft, hop, center=False).abs() ** 2
    full = 2.0 * power.sum() - power[0].sum() - power[-1].sum()  # one-sided -> two-sided spectrum
    assert float(full / (n_fft * 1.5 * (x**2).sum())) == pytest.approx(1.0, abs=1e-12)


def test_stft_rejects_bad_frames_and_short_signals() -> None:
    with pytest.raises(ValueError, match="hop_length must be in"):
        stft(torch.zeros(1000, dtype=F64), 512, 300)
    with pytest.raises(ValueError, match="n_fft must be an even"):
        stft(torch.zeros(1000, dtype=F64), 511, 128)
    with pytest.raises(ValueError, match="waveform has 100 samples"):
        stft(torch.zeros(100, dtype=F64), 512, 128)
    with pytest.raises(ValueError, match="spec has 100 frequency bins; n_fft=512 has 257"):
        istft(torch.zeros(100, 10, dtype=torch.complex128), 512, 128)
