"""Synthetic sounds: pitches and chirp laws against analysis, envelopes, spectral slopes, seeds and balance."""

import math

import numpy as np
import pytest
from sciddiff.domains.audio.synth import (
    CLASSES,
    SynthConfig,
    SynthSounds,
    adsr_envelope,
    chirp,
    chirp_frequency,
    generate,
    harmonic_note,
    noise_texture,
    percussive_hit,
    sample_sound,
)
from scipy.signal import hilbert, welch

CONFIG = SynthConfig()  # 1 s at 16 kHz: the FFT of the whole sound has 1 Hz bins


@pytest.mark.parametrize("pitch", [110.0, 261.63, 440.0, 987.77])
def test_note_fundamental_is_the_fft_peak_at_the_requested_pitch(pitch: float) -> None:
    env = adsr_envelope(CONFIG.times(), 0.05, 0.1, 0.7, 0.1, 0.6)
    wave = harmonic_note(pitch, [1.0, 0.6, 0.4, 0.2], CONFIG, envelope=env)
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(wave.size, 1 / CONFIG.sample_rate)
    assert abs(freqs[spectrum.argmax()] - pitch) <= 1.0  # within one bin
    band_power = [(spectrum[np.abs(freqs - k * pitch) < 20.0] ** 2).sum() for k in (1, 2)]
    assert math.sqrt(band_power[1] / band_power[0]) == pytest.approx(0.6, rel=1e-3)  # 2nd harmonic at its amplitude


def test_vibrato_keeps_the_mean_frequency_at_the_pitch() -> None:
    """Sinusoidal FM has |J_n| = |J_-n| sidebands, so the power-weighted mean frequency is the carrier."""
    wave = harmonic_note(440.0, [1.0], CONFIG, vibrato_rate=5.0, vibrato_depth=0.02)
    power = np.abs(np.fft.rfft(wave)) ** 2
    freqs = np.fft.rfftfreq(wave.size, 1 / CONFIG.sample_rate)
    assert float((power * freqs).sum() / power.sum()) == pytest.approx(440.0, abs=0.5)
    assert freqs[power.argmax()] != 440.0  # index 1.76: the first sidebands are stronger than the carrier
    analytic = hilbert(wave)
    inst = np.diff(np.unwrap(np.angle(analytic))) * CONFIG.sample_rate / (2 * math.pi)
    t = CONFIG.times()[:-1] + 0.5 / CONFIG.sample_rate
    law = 440.0 * (1 + 0.02 * np.sin(2 * math.pi * 5.0 * t))
    assert float(np.abs(inst - law)[1000:-1000].max()) < 0.5


@pytest.mark.parametrize("law", ["linear", "exponential"])
def test_chirp_instantaneous_frequency_follows_its_law(law: str) -> None:
    wave = chirp(200.0, 3200.0, law, CONFIG)
    assert wave[0] == pytest.approx(0.0, abs=1e-12)
    inst = np.diff(np.unwrap(np.angle(hilbert(wave)))) * CONFIG.sample_rate / (2 * math.pi)
    t = CONFIG.times()[:-1] + 0.5 / CONFIG.sample_rate
    expected = chirp_frequency(t, 200.0, 3200.0, 1.0, law)
    middle = slice(800, -800)
    assert float(np.max(np.abs(inst[middle] / expected[middle] - 1))) < 0.01
    np.testing.assert_allclose(chirp_frequency(np.array([0.0, 0.5, 1.0]), 200.0, 3200.0, 1.0, law)[[0, 2]], [200, 3200])
    mid = 1700.0 if law == "linear" else 800.0  # arithmetic vs geometric midpoint
    assert chirp_frequency(np.array([0.5]), 200.0, 3200.0, 1.0, law)[0] == pytest.approx(mid)


def test_adsr_envelope_knots() -> None:
    t = np.array([0.0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.65, 0.7, 0.9])
    env = adsr_envelope(t, 0.1, 0.1, 0.5, 0.1, 0.6)
    np.testing.assert_allclose(env, [0.0, 0.5, 1.0, 0.5, 0.5, 0.5, 0.25, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"gate >= attack \+ decay"):
        adsr_envelope(t, 0.3, 0.3, 0.5, 0.1, 0.4)


@pytest.mark.parametrize("kind", ["noise", "pitched"])
def test_percussive_hit_is_silent_before_onset_and_decays(kind: str) -> None:
    wave = percussive_hit(kind, CONFIG, np.random.default_rng(0), onset=0.25, decay_time=0.05)
    n_onset = int(0.25 * CONFIG.sample_rate)
    assert float(np.abs(wave[: n_onset + 1]).max()) == 0.0
    energy = np.cumsum(wave**2)
    at_3tau = energy[n_onset + int(3 * 0.05 * CONFIG.sample_rate)] / energy[-1]
    assert at_3tau > 0.98  # an exp(-t/tau) amplitude keeps 1 - e^-6 = 99.75% of its energy within 3 tau


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0])
def test_noise_texture_has_the_requested_spectral_slope(exponent: float) -> None:
    wave = noise_texture(SynthConfig(duration=4.0), np.random.default_rng(1), exponent=exponent)
    freqs, psd = welch(wave, fs=16000, nperseg=1024)
    keep = (freqs > 50) & (freqs < 6000)
    slope = np.polyfit(np.log(freqs[keep]), np.log(psd[keep]), 1)[0]
    assert slope == pytest.approx(-exponent, abs=0.1)


def test_band_limited_noise_keeps_its_power_inside_the_band() -> None:
    wave = noise_texture(CONFIG, np.random.default_rng(2), exponent=0.0, band=(500.0, 2000.0))
    freqs, psd = welch(wave, fs=16000, nperseg=1024)
    inside = (freqs >= 500) & (freqs <= 2000)
    outside = (freqs < 250) | (freqs > 4000)
    assert psd[outside].sum() < 1e-3 * psd[inside].sum()
    with pytest.raises(ValueError, match=r"band must satisfy"):
        noise_texture(CONFIG, np.random.default_rng(2), exponent=0.0, band=(3000.0, 9000.0))


def test_dataset_is_balanced_reproducible_and_within_full_scale() -> None:
    waves, labels = SynthSounds(24, seed=7).batch()
    assert labels.bincount().tolist() == [6, 6, 6, 6]
    again, _ = SynthSounds(24, seed=7).batch()
    assert bool((waves == again).all())
    assert float((waves[:8] - SynthSounds(8, seed=8).batch()[0]).abs().max()) > 0.1
    np.testing.assert_array_equal(SynthSounds(8, seed=7)[5][0].numpy(), waves[5].numpy())  # independent of n
    peaks = waves.abs().amax(1)
    assert bool((peaks < 1).all()) and bool((peaks >= 0.3 - 1e-12).all())
    for i in range(4):
        sound = generate(i, 7)
        assert CLASSES[sound.label] == CLASSES[i % 4]
        assert float(np.abs(sound.waveform).max()) == pytest.approx(sound.params["peak"], rel=1e-12)


def test_sampled_notes_and_chirps_match_their_parameters() -> None:
    note = sample_sound("harmonic_note", np.random.default_rng(3))
    spectrum = np.abs(np.fft.rfft(note.waveform))
    freqs = np.fft.rfftfreq(CONFIG.n_samples, 1 / CONFIG.sample_rate)
    pitch, depth = note.params["pitch"], note.params["vibrato_depth"]
    assert abs(freqs[spectrum.argmax()] - pitch) <= pitch * depth + 1.0  # the peak lies inside the vibrato range
    assert np.isclose(note.params["harmonics"][0], 1.0)
    with pytest.raises(ValueError, match=r"unknown sound class 'speech'"):
        sample_sound("speech", np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"reaches .* >= Nyquist 8000.0 Hz"):
        harmonic_note(3000.0, [1.0, 0.5, 0.3], CONFIG)
