"""Denoising likelihood: noise statistics against the chi-square closed forms, the SNR of the simulated noise, the
operator's limits and derivatives, and a Monte Carlo check of the approximate Gaussian likelihood in dB."""

import math

import pytest
import torch
from sciddiff.domains.audio.dsp import amplitude_to_db
from sciddiff.domains.audio.metrics import snr
from sciddiff.domains.audio.noisy import (
    add_white_noise,
    noisy_operator,
    observation_std,
    unit_noise_statistics,
)
from sciddiff.domains.audio.representation import Representation
from sciddiff.domains.audio.spectrogram import SpectrogramConfig, magnitude

from sciddiff.operators import check_operator

F64 = torch.float64
GAMMA = 0.5772156649015329
DB = 10 / math.log(10)
LINEAR = Representation(SpectrogramConfig(n_fft=512, hop_length=256, scale="linear"), frames=64)
MEL = Representation(SpectrogramConfig(n_fft=512, hop_length=256, scale="mel", n_mels=64), frames=64)


def test_unit_noise_statistics_match_the_chi_square_closed_forms() -> None:
    stats = unit_noise_statistics(LINEAR)
    level = DB * math.log(3 * 512 / 8)  # E|N_k|^2 = sum w^2 = 3N/8 for a periodic Hann window
    inner = slice(5, 250)
    # complex bins: |N|^2 / E ~ Exp(1): E[ln] = -gamma, Var[ln] = pi^2 / 6
    assert float(stats.mean_db[inner].mean()) == pytest.approx(level - DB * GAMMA, abs=0.1)
    assert float(stats.power_db[inner].mean()) == pytest.approx(level, abs=0.1)
    assert float(stats.std_db[inner].mean()) == pytest.approx(DB * math.pi / math.sqrt(6), abs=0.1)
    # the DC bin is real: chi-square with one degree of freedom, E[ln] = psi(1/2) + ln 2, Var[ln] = pi^2 / 2
    assert float(stats.mean_db[0]) == pytest.approx(level + DB * (-GAMMA - 2 * math.log(2) + math.log(2)), abs=0.6)
    assert float(stats.std_db[0]) == pytest.approx(DB * math.pi / math.sqrt(2), abs=0.5)
    shifted = stats.at(0.1)
    torch.testing.assert_close(shifted.mean_db, stats.mean_db - 20.0)
    torch.testing.assert_close(shifted.std_db, stats.std_db)


def test_simulated_noise_has_the_requested_snr_and_refuses_silence() -> None:
    t = torch.arange(16000, dtype=F64) / 16000
    clean = 0.3 * torch.sin(2 * math.pi * 440 * t)
    noisy, sigma = add_white_noise(clean, 10.0, seed=3)
    assert float(sigma) == pytest.approx(math.sqrt(0.045 / 10.0), rel=1e-3)
    assert float(snr(clean, noisy)) == pytest.approx(10.0, abs=0.15)
    with pytest.raises(ValueError, match="silent"):
        add_white_noise(torch.zeros(100, dtype=F64), 10.0, seed=0)


def test_operator_limits_monotone_derivative_and_vjp_jvp_consistency() -> None:
    for rep in (LINEAR, MEL):
        stats = unit_noise_statistics(rep).at(0.01)
        op = noisy_operator(rep, stats)
        assert check_operator(op, n_trials=2).passed
        floor = op.forward(torch.full((1, *rep.shape), -300.0, dtype=F64))[0, 0]
        torch.testing.assert_close(floor, stats.mean_db.reshape(-1, 1).expand(-1, rep.frames), atol=1e-6, rtol=0)
        loud = torch.full((1, *rep.shape), 60.0, dtype=F64)
        torch.testing.assert_close(op.forward(loud), loud, atol=1e-3, rtol=0)
        x = torch.linspace(-100, 60, math.prod(rep.shape), dtype=F64).reshape(1, *rep.shape)
        slope = op.vjp(x, torch.ones_like(x))
        assert bool((slope > 0).all() and (slope <= 1).all())


@pytest.mark.parametrize("rep", [LINEAR, MEL], ids=["linear", "mel"])
def test_gaussian_likelihood_in_db_is_calibrated_by_monte_carlo(rep: Representation) -> None:
    t = torch.arange(rep.length, dtype=F64) / 16000
    env = torch.linspace(0, 1, rep.length, dtype=F64) ** 3  # sweeps the local SNR from -inf to high
    clean = env * (0.5 * torch.sin(2 * math.pi * 1000 * t) + 0.2 * torch.sin(2 * math.pi * (300 + 1000 * t) * t))
    sigma = 0.01
    x = amplitude_to_db(magnitude(clean[None], rep.spec), -100.0)[:, None, : rep.rows]
    stats = unit_noise_statistics(rep).at(sigma)
    mean = noisy_operator(rep, stats).forward(x)[0, 0]
    g = torch.Generator().manual_seed(5)
    noisy = clean + sigma * torch.randn(200, rep.length, generator=g, dtype=F64)
    y = amplitude_to_db(magnitude(noisy, rep.spec), -100.0)[:, : rep.rows]
    z = (y - mean) / observation_std(y, stats)
    local_snr = 10 ** ((x[0, 0] - stats.power_db[:, None]) / 10)
    inner = torch.zeros_like(local_snr, dtype=torch.bool)
    inner[:, 2:-2] = True
    for lo, hi in ((0.0, 0.01), (0.01, 0.3), (0.3, 3.0), (3.0, 30.0), (30.0, math.inf)):
        sel = inner & (local_snr >= lo) & (local_snr < hi)
        bias = float((y.mean(0) - mean)[sel].mean())
        spread = float(z[:, sel].std())
        limit = 0.15 if hi <= 0.01 else 1.5  # exact where the noise dominates, approximate between the limits
        assert abs(bias) < limit, (lo, hi, bias)
        assert 0.85 < spread < 1.4, (lo, hi, spread)
