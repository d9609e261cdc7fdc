"""Spoken digits 0-9 rendered offline by the eSpeak NG text-to-speech program, across voices, speeds and pitches.

eSpeak NG is an optional Debian package (``apt-get install espeak-ng``); it is called with subprocess and each
rendering is cached as a WAV file keyed by the word, voice, speed (words per minute), pitch (0-99) and the
program's version. Clips are resampled to the requested rate, trimmed to the span above -40 dB of their peak,
scaled to a 0.8 peak and centred in a fixed duration.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sciddiff.domains.audio.io import read_wav
from torch.utils.data import Dataset

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DEFAULT_VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+f5")
DEFAULT_SPEEDS = (130, 170, 210)
DEFAULT_PITCHES = (30, 50, 70)
INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian/Ubuntu)"


class MissingProgramError(FileNotFoundError):
    """The text-to-speech program is not installed."""


def default_cache_dir() -> Path:
    """$SCIDDIFF_CACHE/spoken_digits, or ~/.cache/sciddiff/spoken_digits."""
    root = os.environ.get("SCIDDIFF_CACHE") or Path.home() / ".cache" / "sciddiff"
    return Path(root) / "spoken_digits"


def find_espeak(executable: str = "espeak-ng") -> str:
    """Full path of the eSpeak NG program; raises MissingProgramError with the install line if it is missing."""
    path = shutil.which(executable)
    if path is None:
        raise MissingProgramError(f"the text-to-speech program {executable!r} was not found on PATH; {INSTALL_HINT}")
    return path


def espeak_version(executable: str = "espeak-ng") -> str:
    """The program's version banner (part of every cache key)."""
    result = subprocess.run([find_espeak(executable), "--version"], capture_output=True, text=True, timeout=30)
    return result.stdout.strip()


def render_word(word: str, path: Path, *, voice: str, speed: int, pitch: int, executable: str = "espeak-ng") -> Path:
    """Render ``word`` to the WAV file ``path`` (the program's own sample rate)."""
    if not 0 <= pitch <= 99:
        raise ValueError(f"espeak-ng pitch must be in [0, 99], got {pitch}")
    if not 80 <= speed <= 450:
        raise ValueError(f"espeak-ng speed must be in [80, 450] words per minute, got {speed}")
    cmd = [find_espeak(executable), "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), word]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or not path.is_file():
        raise RuntimeError(f"{executable} failed for voice {voice!r}: {result.stderr.strip() or result.stdout.strip()}")
    return path


def digit_wav(
    digit: int,
    *,
    voice: str,
    speed: int,
    pitch: int,
    cache_dir: Path | None = None,
    executable: str = "espeak-ng",
    version: str | None = None,
) -> Path:
    """Cached WAV of the spoken ``digit``; rendered only when no file with the same key exists."""
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be in 0..9, got {digit}")
    version = espeak_version(executable) if version is None else version
    word = DIGIT_WORDS[digit]
    key = hashlib.sha256(f"{version}|{word}|{voice}|{speed}|{pitch}".encode()).hexdigest()[:16]
    directory = default_cache_dir() if cache_dir is None else Path(cache_dir)
    path = directory / f"{digit}_{voice.replace('+', '_')}_{speed}_{pitch}_{key}.wav"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial.wav")
        render_word(word, partial, voice=voice, speed=speed, pitch=pitch, executable=executable)
        partial.replace(path)  # atomic: a concurrent reader never sees a half-written file
    return path


def trim_and_centre(waveform: np.ndarray, length: int, *, threshold_db: float = -40.0, peak: float = 0.8) -> np.ndarray:
    """Keep the span above ``threshold_db`` relative to the peak, scale it to ``peak``, centre it in ``length``."""
    level = np.abs(waveform)
    if level.max() <= 0:
        raise ValueError("the rendered clip is silent")
    active = np.flatnonzero(level >= level.max() * 10 ** (threshold_db / 20))
    clip = waveform[active[0] : active[-1] + 1][:length] * (peak / level.max())
    out = np.zeros(length)
    start = (length - clip.size) // 2
    out[start : start + clip.size] = clip
    return out


@dataclass(frozen=True)
class DigitClip:
    """How one clip was rendered."""

    digit: int
    voice: str
    speed: int
    pitch: int


class SpokenDigits(Dataset):
    """Digits 0-9 for every voice x speed x pitch, as (float64 waveform (T,), digit) items, all loaded at once."""

    def __init__(
        self,
        voices: Sequence[str] = DEFAULT_VOICES,
        speeds: Sequence[int] = DEFAULT_SPEEDS,
        pitches: Sequence[int] = DEFAULT_PITCHES,
        *,
        sample_rate: int = 16000,
        duration: float = 1.0,
        cache_dir: Path | None = None,
        executable: str = "espeak-ng",
    ) -> None:
        version = espeak_version(executable)
        length = round(sample_rate * duration)
        self.clips = [DigitClip(d, v, s, p) for v, s, p, d in itertools.product(voices, speeds, pitches, range(10))]
        waves = []
        for c in self.clips:
            path = digit_wav(
                c.digit,
                voice=c.voice,
                speed=c.speed,
                pitch=c.pitch,
                cache_dir=cache_dir,
                executable=executable,
                version=version,
            )
            x, _ = read_wav(path, sample_rate=sample_rate, resample=True)
            waves.append(trim_and_centre(x, length))
        self.waveforms = torch.from_numpy(np.stack(waves))
        self.labels = torch.tensor([c.digit for c in self.clips])
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.waveforms[index], int(self.labels[index])
