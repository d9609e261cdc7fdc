"""WAV I/O: exact PCM round trips, clear refusals of bad files and input, resampling, folders as datasets."""

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sciddiff.domains.audio.io import (
    WavFolder,
    check_sample_rate,
    check_waveform,
    clipped_runs,
    fix_length,
    read_wav,
    resample_waveform,
    write_wav,
)


def _tone(freq: float, sr: int, n: int, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * math.pi * freq * np.arange(n) / sr)


def test_pcm16_round_trip_is_exact_to_quantisation(tmp_path: Path) -> None:
    x = _tone(440.0, 16000, 1600)
    write_wav(tmp_path / "a.wav", x, 16000)
    y, sr = read_wav(tmp_path / "a.wav")
    assert sr == 16000 and y.shape == x.shape
    assert float(np.abs(y - x).max()) < 1 / 32768  # 16-bit quantisation: libsndfile stores floor(32768 x)
    write_wav(tmp_path / "f.wav", x, 16000, subtype="FLOAT")
    np.testing.assert_allclose(read_wav(tmp_path / "f.wav")[0], x, rtol=0, atol=1e-7)  # float32 storage


def test_stereo_files_average_to_mono_or_keep_channels(tmp_path: Path) -> None:
    left, right = _tone(200.0, 8000, 800, 0.4), _tone(300.0, 8000, 800, 0.2)
    write_wav(tmp_path / "s.wav", np.stack([left, right]), 8000, subtype="FLOAT")
    np.testing.assert_allclose(read_wav(tmp_path / "s.wav")[0], 0.5 * (left + right), atol=1e-7)
    assert read_wav(tmp_path / "s.wav", mono=False)[0].shape == (2, 800)


def test_unreadable_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"not a wav file at all" * 4)
    (tmp_path / "zero.wav").write_bytes(b"")
    sf.write(tmp_path / "nosamples.wav", np.zeros(0), 16000)
    with pytest.raises(ValueError, match=r"cannot read .*junk.wav as audio"):
        read_wav(tmp_path / "junk.wav")
    with pytest.raises(ValueError, match=r"zero.wav is empty \(0 bytes\)"):
        read_wav(tmp_path / "zero.wav")
    with pytest.raises(ValueError, match=r"nosamples.wav has no samples"):
        read_wav(tmp_path / "nosamples.wav")
    with pytest.raises(FileNotFoundError, match=r"no audio file at"):
        read_wav(tmp_path / "missing.wav")


def test_clipping_definition_and_nan_refusal(tmp_path: Path) -> None:
    x = _tone(100.0, 8000, 800, 0.9)
    x[10] = 1.0  # one full-scale peak: allowed
    check_waveform(x)
    x[100:103] = 0.9995  # three samples at full scale: below the run length, allowed
    check_waveform(x)
    x[200:206] = -1.0
    assert clipped_runs(x) == [(200, 6)]
    with pytest.raises(
        ValueError, match=r"clipped: 1 runs of >= 4 samples at .* the longest 6 samples at flat index 200"
    ):
        check_waveform(x)
    with pytest.raises(ValueError, match=r"exceeds full scale: peak"):
        check_waveform(np.array([0.0, 1.5, 0.0]))
    y = _tone(100.0, 8000, 800)
    y[7] = np.nan
    with pytest.raises(ValueError, match=r"1 non-finite samples .* first at flat index 7"):
        write_wav(tmp_path / "nan.wav", y, 8000)
    sf.write(tmp_path / "clip.wav", x, 8000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"clip.wav is clipped"):
        read_wav(tmp_path / "clip.wav")
    # runs do not join across channels
    stereo = np.zeros((2, 10))
    stereo[0, -2:], stereo[1, :2] = 1.0, 1.0
    assert clipped_runs(stereo) == []


def test_sample_rate_mismatch_is_refused_unless_resampling(tmp_path: Path) -> None:
    x = _tone(1000.0, 22050, 22050)
    write_wav(tmp_path / "r.wav", x, 22050, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"sample rate 22050 Hz but 16000 Hz is expected; pass resample=True"):
        read_wav(tmp_path / "r.wav", sample_rate=16000)
    y, sr = read_wav(tmp_path / "r.wav", sample_rate=16000, resample=True)
    assert sr == 16000 and y.size == 16000
    middle = slice(1000, 15000)  # away from the filter's edge transients
    np.testing.assert_allclose(y[middle], _tone(1000.0, 16000, 16000)[middle], atol=2e-3)
    assert check_sample_rate(16000, 16000) is False and check_sample_rate(8000, 16000, resample=True) is True
    np.testing.assert_array_equal(resample_waveform(x, 22050, 22050), x)


def test_wav_folder_labels_by_subfolder_and_fixes_length(tmp_path: Path) -> None:
    for label, freq in (("low", 200.0), ("high", 2000.0)):
        for i, n in enumerate((700, 900)):
            write_wav(tmp_path / label / f"{i}.wav", _tone(freq, 8000, n), 8000, subtype="FLOAT")
    data = WavFolder(tmp_path, 8000, duration=0.1)
    assert len(data) == 4 and data.classes == ["high", "low"]
    waves, labels = zip(*(data[i] for i in range(4)), strict=True)
    assert labels == (0, 0, 1, 1) and all(w.shape == (800,) for w in waves)
    np.testing.assert_allclose(waves[0].numpy()[:700], _tone(2000.0, 8000, 700), atol=1e-7)
    assert float(waves[0][700:].abs().max()) == 0.0  # zero padding
    np.testing.assert_allclose(fix_length(np.arange(5.0), 3), [0.0, 1.0, 2.0])


def test_wav_folder_refuses_empty_folders_and_other_rates(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no .wav files under"):
        WavFolder(tmp_path / "empty", 8000)
    with pytest.raises(FileNotFoundError, match=r"no folder at"):
        WavFolder(tmp_path / "nowhere", 8000)
    write_wav(tmp_path / "x" / "a.wav", _tone(100.0, 16000, 1600), 16000)
    with pytest.raises(ValueError, match=r"sample rate 16000 Hz but 8000 Hz is expected"):
        WavFolder(tmp_path / "x", 8000)[0]
    assert WavFolder(tmp_path / "x", 8000, resample=True)[0][0].shape == (800,)
