"""Spoken digits: caching and processing through a stand-in program, the missing-program error, and (only when the
optional espeak-ng binary is installed) real renderings."""

import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
from sciddiff.domains.audio.io import read_wav
from sciddiff.domains.audio.spoken_digits import (
    DIGIT_WORDS,
    MissingProgramError,
    SpokenDigits,
    digit_wav,
    find_espeak,
    trim_and_centre,
)

requires_espeak_ng = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="optional binary espeak-ng is not installed (apt-get install espeak-ng)"
)

# A stand-in for espeak-ng (standard library only, so it starts fast): "speaks" a word as a 16-bit 22050 Hz tone of
# 60 / speed seconds whose frequency encodes the word and pitch, with 0.1 s of silence on both sides, and logs calls.
FAKE = """#!{python} -S
import math, struct, sys, wave
args = sys.argv[1:]
if args == ["--version"]:
    print("fake-espeak 1.0"); sys.exit(0)
opts = dict(zip(args[:-1:2], args[1:-1:2]))
if opts["-v"] == "missing-voice":
    print("Error: voice does not exist", file=sys.stderr); sys.exit(1)
freq = 100.0 * (1 + {words!r}.index(args[-1])) + float(opts["-p"])
n = int(22050 * 60.0 / float(opts["-s"]))
tone = [round(13107 * math.sin(2 * math.pi * freq * i / 22050)) for i in range(n)]
with wave.open(opts["-w"], "wb") as f:
    f.setnchannels(1); f.setsampwidth(2); f.setframerate(22050)
    f.writeframes(struct.pack(f"<{{n + 4410}}h", *([0] * 2205 + tone + [0] * 2205)))
open({log!r}, "a").write(args[-1] + "\\n")
"""


@pytest.fixture
def fake_espeak(tmp_path: Path) -> tuple[str, Path]:
    log = tmp_path / "calls.log"
    exe = tmp_path / "bin" / "fake-espeak"
    exe.parent.mkdir()
    exe.write_text(FAKE.format(python=sys.executable, words=DIGIT_WORDS, log=str(log)))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe), log


def test_missing_program_error_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(MissingProgramError, match=r"not found on PATH; install it with `apt-get install espeak-ng`"):
        find_espeak("espeak-ng-not-installed-anywhere")
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        SpokenDigits(executable="espeak-ng-not-installed-anywhere", cache_dir=tmp_path)


def test_renderings_are_cached_labelled_resampled_and_centred(fake_espeak: tuple[str, Path], tmp_path: Path) -> None:
    exe, log = fake_espeak
    data = SpokenDigits(
        ["v1", "v2"], [120], [0, 20], sample_rate=8000, duration=1.0, cache_dir=tmp_path / "c", executable=exe
    )
    assert len(data) == 40 and data.waveforms.shape == (40, 8000)
    assert data.labels.bincount().tolist() == [4] * 10
    assert len(log.read_text().splitlines()) == 40
    again = SpokenDigits(["v1", "v2"], [120], [0, 20], sample_rate=8000, cache_dir=tmp_path / "c", executable=exe)
    assert len(log.read_text().splitlines()) == 40  # every clip came from the cache
    assert bool((again.waveforms == data.waveforms).all())
    for i in (0, 13, 39):
        clip, wave = data.clips[i], data.waveforms[i].numpy()
        spectrum = np.abs(np.fft.rfft(wave))
        assert np.fft.rfftfreq(8000, 1 / 8000)[spectrum.argmax()] == pytest.approx(
            100.0 * (1 + clip.digit) + clip.pitch
        )
        active = np.flatnonzero(np.abs(wave) > 1e-3)
        assert (active[0] + active[-1]) / 2 == pytest.approx(4000, abs=3)  # 0.5 s of tone centred, silence trimmed
        assert active[-1] - active[0] == pytest.approx(4000, abs=3)
        assert float(np.abs(wave).max()) == pytest.approx(0.8, abs=1e-3)


def test_program_failures_and_bad_arguments_are_reported(fake_espeak: tuple[str, Path], tmp_path: Path) -> None:
    exe, _ = fake_espeak
    with pytest.raises(RuntimeError, match="failed for voice 'missing-voice': Error: voice does not exist"):
        digit_wav(3, voice="missing-voice", speed=150, pitch=50, cache_dir=tmp_path, executable=exe)
    with pytest.raises(ValueError, match=r"pitch must be in \[0, 99\], got 120"):
        digit_wav(3, voice="v", speed=150, pitch=120, cache_dir=tmp_path, executable=exe)
    with pytest.raises(ValueError, match=r"digit must be in 0\.\.9, got 12"):
        digit_wav(12, voice="v", speed=150, pitch=50, cache_dir=tmp_path, executable=exe)
    with pytest.raises(ValueError, match="silent"):
        trim_and_centre(np.zeros(100), 50)


@requires_espeak_ng
def test_real_espeak_renders_every_digit_and_speed_shortens_speech(tmp_path: Path) -> None:
    durations = {}
    for speed in (120, 300):
        for digit in (0, 7):
            x, sr = read_wav(digit_wav(digit, voice="en-us", speed=speed, pitch=50, cache_dir=tmp_path))
            assert sr == 22050 and float(np.abs(x).max()) > 0.05
            active = np.flatnonzero(np.abs(x) > 0.01 * np.abs(x).max())
            durations[speed, digit] = (active[-1] - active[0]) / sr
    for digit in (0, 7):
        assert durations[300, digit] < 0.75 * durations[120, digit]
