"""Labelled waveforms for the audio adapter's splits, one context long: synthetic sounds, spoken digits, WAV folders.

- ``synth``: :class:`~sciddiff.domains.audio.synth.SynthSounds` with the run's seed; train, val and test are the
  consecutive index ranges of one seeded stream (each item has its own seed, so the splits are independent).
- ``digits``: :class:`~sciddiff.domains.audio.spoken_digits.SpokenDigits` (needs eSpeak NG), split 80/10/10 by a
  seeded permutation.
- ``folder``: every ``*.wav`` under a folder (labels from sub-folders), cropped or zero-padded to one context,
  split 80/10/10 by a seeded permutation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from sciddiff.domains.audio.io import WavFolder
from sciddiff.domains.audio.spoken_digits import (
    DEFAULT_PITCHES,
    DEFAULT_SPEEDS,
    DEFAULT_VOICES,
    DIGIT_WORDS,
    SpokenDigits,
)
from sciddiff.domains.audio.synth import CLASSES, SynthConfig, SynthSounds
from torch import Tensor

SOURCES = ("synth", "digits", "folder")
SPLITS = ("train", "val", "test")


@dataclass
class Labelled:
    """Values (waveforms (n, length) or spectrograms (n, 1, rows, frames)) and labels (n,) int64."""

    values: Tensor
    labels: Tensor


def _shuffled_splits(waves: Tensor, labels: Tensor, seed: int, what: str) -> dict[str, Labelled]:
    n = waves.shape[0]
    if n < 3:
        raise ValueError(f"{what} has {n} clips; train, val and test need at least 3")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = n_test = max(1, n // 10)
    parts = {"val": order[:n_val], "test": order[n_val : n_val + n_test], "train": order[n_val + n_test :]}
    return {k: Labelled(waves[idx], labels[idx]) for k, idx in parts.items()}


def synth_splits(sizes: dict[str, int], seed: int, sample_rate: int, length: int) -> dict[str, Labelled]:
    """Consecutive index ranges of one seeded synthetic stream, in the order train, val, test."""
    if any(sizes[k] < 1 for k in SPLITS):
        raise ValueError(f"every split needs at least one sound, got sizes {sizes}")
    synth = SynthSounds(sum(sizes[k] for k in SPLITS), seed, SynthConfig(sample_rate, length / sample_rate))
    out, start = {}, 0
    for k in SPLITS:
        items = [synth[i] for i in range(start, start + sizes[k])]
        out[k] = Labelled(torch.stack([w for w, _ in items]), torch.tensor([lab for _, lab in items]))
        start += sizes[k]
    return out


def digit_splits(
    seed: int,
    sample_rate: int,
    length: int,
    voices: Sequence[str] = DEFAULT_VOICES,
    speeds: Sequence[int] = DEFAULT_SPEEDS,
    pitches: Sequence[int] = DEFAULT_PITCHES,
) -> dict[str, Labelled]:
    """Spoken digits for every voice, speed and pitch, in a seeded 80/10/10 split."""
    digits = SpokenDigits(voices, speeds, pitches, sample_rate=sample_rate, duration=length / sample_rate)
    return _shuffled_splits(digits.waveforms, digits.labels.clone(), seed, "the spoken-digit set")


def folder_splits(
    root: str | Path, seed: int, sample_rate: int, length: int, resample: bool
) -> tuple[dict[str, Labelled], list[str]]:
    """Every WAV file under ``root`` (read, checked, cropped or padded to ``length``) in a seeded 80/10/10 split."""
    folder = WavFolder(root, sample_rate, duration=length / sample_rate, resample=resample)
    items = [folder[i] for i in range(len(folder))]
    waves = torch.stack([w for w, _ in items])
    labels = torch.tensor([lab for _, lab in items])
    return _shuffled_splits(waves, labels, seed, f"the folder {root}"), list(folder.classes)


def class_names(source: str) -> list[str] | None:
    """The fixed class names of a built-in source (None for a folder: they come from its sub-folders)."""
    if source == "synth":
        return list(CLASSES)
    if source == "digits":
        return list(DIGIT_WORDS)
    if source == "folder":
        return None
    raise ValueError(f"unknown audio source {source!r}; choose one of {SOURCES}")
