"""Multivariate UEA classification sets bundled with aeon (read offline from aeon's package data), as xarray.

Bagnall et al., "The UEA multivariate time series classification archive, 2018" (arXiv:1811.00075).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

Split = Literal["train", "test", "all"]


def _aeon_split(split: Split) -> str | None:
    """aeon's split argument for ours."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    return None if split == "all" else split.upper()


def load_basic_motions(split: Split = "train") -> xr.Dataset:
    """BasicMotions: 6-channel smart-watch motion (3-D accelerometer and 3-D gyroscope) at 10 Hz for 10 s.

    ``motion`` has dims (case, time, channel) with time in seconds (0, 0.1, ..., 9.9), channels in file order,
    and a per-case ``label`` (standing, walking, running, badminton); 40 train and 40 test cases.
    """
    from aeon.datasets import load_basic_motions as aeon_load

    x, y = aeon_load(split=_aeon_split(split))
    motion = xr.DataArray(
        np.ascontiguousarray(np.asarray(x, dtype=np.float64).transpose(0, 2, 1)),
        dims=("case", "time", "channel"),
        coords={
            "case": np.arange(x.shape[0]),
            "time": ("time", 0.1 * np.arange(x.shape[2]), {"units": "s"}),
            "channel": [f"dim_{i}" for i in range(x.shape[1])],
            "label": ("case", np.asarray(y, dtype=str)),
        },
        attrs={"long_name": "smart-watch accelerometer and gyroscope readings"},
    )
    attrs = {"title": "BasicMotions (UEA archive)", "source": "aeon.datasets (BasicMotions .ts files)", "split": split}
    return xr.Dataset({"motion": motion}, attrs=attrs)


def load_japanese_vowels(split: Split = "train") -> xr.Dataset:
    """JapaneseVowels: 12 LPC cepstrum coefficients per analysis frame of utterances of 7 to 29 frames.

    ``cepstrum`` has dims (case, time, channel) with time the frame index; shorter utterances are padded with
    NaN (missing, not zero) to the longest, and ``length`` gives each case's number of frames.
    """
    from aeon.datasets import load_japanese_vowels as aeon_load

    cases, y = aeon_load(split=_aeon_split(split))
    cases = [np.asarray(c, dtype=np.float64) for c in cases]
    n_channels = cases[0].shape[0]
    longest = max(c.shape[1] for c in cases)
    values = np.full((len(cases), longest, n_channels), np.nan)
    for i, c in enumerate(cases):
        values[i, : c.shape[1]] = c.T
    cepstrum = xr.DataArray(
        values,
        dims=("case", "time", "channel"),
        coords={
            "case": np.arange(len(cases)),
            "time": ("time", np.arange(longest), {"units": "frame"}),
            "channel": [f"lpc_{i}" for i in range(n_channels)],
            "label": ("case", np.asarray(y, dtype=str)),
            "length": ("case", np.array([c.shape[1] for c in cases])),
        },
        attrs={"long_name": "LPC cepstrum coefficients"},
    )
    attrs = {"title": "JapaneseVowels (UEA archive)", "source": "aeon.datasets (JapaneseVowels .ts files)"}
    return xr.Dataset({"cepstrum": cepstrum}, attrs=attrs | {"split": split})
