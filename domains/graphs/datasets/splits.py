"""Seeded, reproducible train/val/test splits of record numbers."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

SPLITS = ("train", "val", "test")


def split_indices(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, Tensor]:
    """A random partition of range(n) into train/val/test (sorted within each), from a torch.Generator seed.

    val and test get round(f * n) records and train the rest, so the same (n, fractions, seed) always gives
    the same split on any machine.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1; got {tuple(fractions)}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val, n_test = round(fractions[1] * n), round(fractions[2] * n)
    n_train = n - n_val - n_test
    parts = (perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :])
    return {name: part.sort().values for name, part in zip(SPLITS, parts, strict=True)}


def check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None (all records); got {split!r}")
