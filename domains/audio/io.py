"""WAV input and output with soundfile, input checks, sample-rate handling and folders of WAV files.

Clipping is defined as either a sample beyond full scale (|x| > 1, which PCM cannot store) or a run of at least
``clip_run`` consecutive samples with |x| >= ``clip_level`` (default 4 samples at >= 0.999, i.e. within
-0.0087 dBFS of full scale): a single full-scale peak of a normalised recording passes, a flattened waveform top
does not. Resampling is polyphase (scipy.signal.resample_poly) by the reduced ratio target / source.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from scipy.signal import resample_poly
from torch.utils.data import Dataset

CLIP_LEVEL = 0.999
CLIP_RUN = 4


def clipped_runs(waveform: np.ndarray, level: float = CLIP_LEVEL, run: int = CLIP_RUN) -> list[tuple[int, int]]:
    """(flat start index, length) of each run of >= ``run`` consecutive samples at |x| >= ``level``, per channel."""
    x = np.asarray(waveform)
    rows = np.abs(x.reshape(-1, x.shape[-1])) >= level
    runs = []
    for r, hot in enumerate(rows):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]])))
        offset = r * rows.shape[1]
        runs += [(offset + int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2], strict=True) if e - s >= run]
    return runs


def check_waveform(
    waveform: np.ndarray, name: str = "waveform", *, clip_level: float = CLIP_LEVEL, clip_run: int = CLIP_RUN
) -> None:
    """Raise ValueError if the waveform is empty, non-finite or clipped (see the module docstring)."""
    x = np.asarray(waveform)
    if x.size == 0:
        raise ValueError(f"{name} has no samples")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} non-finite samples (NaN or inf), first at flat index "
            f"{int(np.flatnonzero(bad.ravel())[0])}"
        )
    peak = float(np.abs(x).max())
    if peak > 1.0:
        raise ValueError(f"{name} exceeds full scale: peak |x| = {peak:.4g} > 1")
    runs = clipped_runs(x, clip_level, clip_run)
    if runs:
        start, length = max(runs, key=lambda r: r[1])
        raise ValueError(
            f"{name} is clipped: {len(runs)} runs of >= {clip_run} samples at |x| >= {clip_level}, the longest "
            f"{length} samples at flat index {start}"
        )


def resample_waveform(waveform: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling along the last axis from ``source_rate`` to ``target_rate`` Hz."""
    if source_rate <= 0 or target_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {source_rate} and {target_rate}")
    if source_rate == target_rate:
        return np.asarray(waveform)
    g = gcd(int(source_rate), int(target_rate))
    return resample_poly(waveform, int(target_rate) // g, int(source_rate) // g, axis=-1)


def check_sample_rate(actual: int, expected: int, *, resample: bool = False, what: str = "audio") -> bool:
    """True if resampling from ``actual`` to ``expected`` is needed and allowed; refuse a mismatch otherwise."""
    if actual == expected:
        return False
    if not resample:
        raise ValueError(
            f"{what} has sample rate {actual} Hz but {expected} Hz is expected; pass resample=True to resample it"
        )
    return True


def read_wav(
    path: str | Path, *, sample_rate: int | None = None, resample: bool = False, mono: bool = True, check: bool = True
) -> tuple[np.ndarray, int]:
    """Read an audio file as float64 in [-1, 1]: shape (T,) if ``mono`` (channels averaged) else (channels, T).

    With ``sample_rate`` given, a file at another rate is refused unless ``resample`` is True.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes)")
    try:
        data, rate = sf.read(path, dtype="float64", always_2d=True)
    except (sf.SoundFileError, RuntimeError) as err:
        raise ValueError(f"cannot read {path} as audio: {err}") from err
    if data.shape[0] == 0:
        raise ValueError(f"{path} has no samples")
    x = data.mean(axis=1) if mono else data.T
    if check:
        check_waveform(x, str(path))
    if sample_rate is not None and check_sample_rate(rate, sample_rate, resample=resample, what=str(path)):
        x, rate = resample_waveform(x, rate, sample_rate), sample_rate
    return x, int(rate)


def write_wav(
    path: str | Path, waveform: np.ndarray | torch.Tensor, sample_rate: int, *, subtype: str = "PCM_16"
) -> Path:
    """Write (T,) or (channels, T) samples in [-1, 1] as a WAV file; refuses empty, non-finite or clipped input."""
    x = waveform.detach().cpu().numpy() if isinstance(waveform, torch.Tensor) else np.asarray(waveform)
    if x.ndim not in (1, 2):
        raise ValueError(f"waveform must have shape (T,) or (channels, T), got {x.shape}")
    check_waveform(x, f"waveform for {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x.T if x.ndim == 2 else x, int(sample_rate), subtype=subtype, format="WAV")
    return path


WAV_PEAK = 0.98


def write_new_wav(path: str | Path, waveform: np.ndarray | torch.Tensor, sample_rate: int) -> Path:
    """Write a 16-bit mono WAV to a new file (an existing file raises, nothing is overwritten); a waveform louder
    than a 0.98 peak (e.g. from Griffin-Lim) is scaled down to it, never up."""
    x = waveform.detach().cpu().double().numpy() if isinstance(waveform, torch.Tensor) else np.asarray(waveform, float)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"waveform for {path} must be a non-empty finite (T,) array, got shape {x.shape}")
    peak = float(np.abs(x).max())
    if peak > WAV_PEAK:
        x = x * (WAV_PEAK / peak)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as f:
            sf.write(f, x, int(sample_rate), subtype="PCM_16", format="WAV")
    except FileExistsError:
        raise ValueError(
            f"{path} already exists; sciddiff never overwrites outputs (choose another directory)"
        ) from None
    return path


def fix_length(waveform: np.ndarray, length: int) -> np.ndarray:
    """Crop the last axis to ``length`` samples or pad it with trailing zeros."""
    n = waveform.shape[-1]
    if n >= length:
        return waveform[..., :length]
    return np.concatenate([waveform, np.zeros((*waveform.shape[:-1], length - n))], axis=-1)


class WavFolder(Dataset):
    """All ``*.wav`` files under ``root`` (recursively, sorted), as (waveform tensor (T,), label) items.

    The label indexes ``classes``, the sorted names of the files' parent folders relative to ``root`` (files
    directly in ``root`` get the class ``"."``). Files are read lazily, at ``sample_rate`` (other rates are refused
    unless ``resample`` is True), mono, and cropped or zero-padded to ``duration`` seconds when it is given.
    """

    def __init__(
        self, root: str | Path, sample_rate: int, *, duration: float | None = None, resample: bool = False
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no folder at {self.root}")
        self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() == ".wav" and p.is_file())
        if not self.files:
            raise FileNotFoundError(f"no .wav files under {self.root}")
        self.sample_rate, self.resample = int(sample_rate), resample
        self.length = None if duration is None else round(duration * sample_rate)
        folders = [str(p.parent.relative_to(self.root)) for p in self.files]
        self.classes = sorted(set(folders))
        self.labels = [self.classes.index(f) for f in folders]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        x, _ = read_wav(self.files[index], sample_rate=self.sample_rate, resample=self.resample)
        if self.length is not None:
            x = fix_length(x, self.length)
        return torch.from_numpy(np.ascontiguousarray(x)), self.labels[index]
