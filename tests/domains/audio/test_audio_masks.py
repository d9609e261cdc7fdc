"""Gap and band masks from the adapter's operator hook: the frames and rows they drop follow from the window and the
filterbank, they pass the operator checks, and they stay linear (with an SVD) on the normalised state."""

import math

import pytest
import torch
from sciddiff.domains.audio import AudioAdapter
from sciddiff.domains.audio.dsp import hann
from sciddiff.domains.audio.masks import band_rows, centred_gap, gap_frames
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.spectrogram import SpectrogramConfig

from sciddiff.operators import LinearOperator, Mask, check_operator
from sciddiff.train.problems import state_problem

F64 = torch.float64
REP = Representation(SpectrogramConfig(n_fft=512, hop_length=256, scale="mel", n_mels=64), frames=64)
LINEAR = Representation(SpectrogramConfig(n_fft=512, hop_length=128, scale="linear"), frames=32)


def _brute_force_gap(rep: Representation, s0: int, s1: int) -> torch.Tensor:
    """Frames whose (reflect-padded) window puts non-zero weight on a gap sample, by direct enumeration."""
    n, hop = rep.spec.n_fft, rep.spec.hop_length
    w = hann(n) > 0
    out = torch.zeros(rep.frames, dtype=torch.bool)
    for m in range(rep.frames):
        touched = torch.arange(n)[w] + m * hop - n // 2  # sample index under each non-zero tap
        out[m] = bool(((touched >= s0) & (touched < s1)).any())
    return out


@pytest.mark.parametrize(("start", "duration"), [(0.3, 0.2), (0.0, 0.1), (0.5013, 0.3), (0.9, 0.1)])
def test_gap_frames_are_those_whose_window_touches_the_gap(start: float, duration: float) -> None:
    s0, s1 = round(start * 16000), round((start + duration) * 16000)
    assert torch.equal(gap_frames(REP, start, duration), _brute_force_gap(REP, s0, s1))


def test_centred_200ms_gap_and_errors_for_gaps_that_do_not_fit() -> None:
    start = centred_gap(REP, 0.2)
    missing = gap_frames(REP, start, 0.2)
    assert start == pytest.approx((REP.length - 3200) / 2 / 16000)
    assert int(missing.sum()) == 14 and torch.equal(missing, missing.flip(0))  # (3200 + 512) / 256 frames, symmetric
    with pytest.raises(ValueError, match=r"gap of 1.500 s is longer than the model's context of 1.008 s"):
        gap_frames(REP, 0.0, 1.5)
    with pytest.raises(ValueError, match=r"lies outside the context \[0, 1.008\) s"):
        gap_frames(REP, 0.9, 0.2)
    with pytest.raises(ValueError, match="touches every frame"):
        gap_frames(REP, 0.0, 1.0)
    with pytest.raises(ValueError, match="gap duration must be positive"):
        gap_frames(REP, 0.1, 0.0)


def test_observed_rows_are_unchanged_by_an_ideal_low_pass_and_the_first_missing_one_is_not() -> None:
    for rep in (REP, LINEAR):
        g = torch.Generator().manual_seed(0)
        wave = 0.1 * torch.randn(rep.length, generator=g, dtype=F64)
        spectrum = torch.fft.rfft(wave)
        freqs = torch.fft.rfftfreq(rep.length, 1 / 16000)
        low = torch.fft.irfft(torch.where(freqs < 3000.0, spectrum, 0), rep.length)
        missing = band_rows(rep, 3000.0)
        first = int(missing.nonzero()[0])
        assert torch.equal(missing, torch.arange(rep.rows) >= first)  # a band: every row above the first missing one
        full, cut = rep.analyse(wave)[0, 0], rep.analyse(low)[0, 0]
        inner = slice(4, -4)  # frames clear of the ends, where the brick-wall filter's circular wrap shows
        change = (full - cut)[:, inner].abs()
        assert float(change[:first].max()) < 0.5 and float(change[first].mean()) > 1.0
        _, upper = rep.row_support()
        assert upper[first - 1] <= 3000.0 < upper[first]


def test_band_row_rule_in_hz_and_band_errors() -> None:
    missing = band_rows(LINEAR, 4000.0)
    freqs = torch.arange(256) * 31.25
    assert torch.equal(missing, freqs + 62.5 > 4000.0)
    with pytest.raises(ValueError, match=r"cutoff must lie in \(0, 8000\) Hz, got 9000.0"):
        band_rows(LINEAR, 9000.0)
    with pytest.raises(ValueError, match="leaves no row observed"):
        band_rows(LINEAR, 40.0)


def test_hook_builds_masks_that_pass_the_operator_checks_and_lift_linearly_to_the_state() -> None:
    adapter = AudioAdapter(n_train=8, n_val=2, n_test=2)
    adapter.mean, adapter.std = -70.0, 30.0
    for cfg in ({"name": "gap", "kwargs": {"duration": 0.25}}, {"name": "band", "kwargs": {"cutoff_hz": 4000}}):
        op = adapter.operator(cfg, (1, 64, 64))
        assert isinstance(op, Mask) and check_operator(op, n_trials=2).passed
        x = torch.randn(3, 1, 64, 64, dtype=F64, generator=torch.Generator().manual_seed(1))
        y = op.forward(adapter.decode(x))
        lifted, y_state = state_problem(adapter, op, y[0], needs_svd=True)
        assert isinstance(lifted, LinearOperator) and lifted.has_svd and check_operator(lifted, n_trials=2).passed
        torch.testing.assert_close(lifted.forward(x)[0], y_state)
    gap = adapter.operator({"name": "gap", "kwargs": {"duration": 0.2}}, (1, 64, 64))
    assert gap.out_dim == 64 * (64 - 14)
    assert adapter.operator({"name": "mask", "random": {"fraction": 0.5}}, (1, 64, 64)) is None
    with pytest.raises(ValueError, match="use the audio app"):
        adapter.operator({"name": "denoise"}, (1, 64, 64))
    with pytest.raises(ValueError, match=r"needs kwargs\.cutoff_hz"):
        adapter.operator({"name": "band"}, (1, 64, 64))
    with pytest.raises(ValueError, match=r"shape \(64, 64\); the audio adapter's is \(1, 64, 64\)"):
        adapter.operator({"name": "gap"}, (64, 64))
    assert math.isclose(gap.out_dim / gap.in_dim, 50 / 64)
