"""The 8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes), split train/val/test.

Alpaydin & Kaynak, "Optical Recognition of Handwritten Digits" (UCI, 1998), shipped as
``sklearn.datasets.load_digits``; pixel counts 0..16 are scaled to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import Tensor


@dataclass(frozen=True)
class LabelledImages:
    """Images (N, 1, 8, 8) in [0, 1], their int64 labels (N,) and their row ``index`` (N,) in load_digits."""

    images: Tensor
    labels: Tensor
    index: Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class DigitSplits:
    """Disjoint, class-stratified train / validation / test sets."""

    train: LabelledImages
    val: LabelledImages
    test: LabelledImages


def load_digit_splits(
    seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15, dtype: torch.dtype = torch.float32
) -> DigitSplits:
    """The digits split at random (seeded, stratified by class) into train / val / test."""
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction and test_fraction must be in (0, 1) with a sum below 1, got {val_fraction}, {test_fraction}"
        )
    data = load_digits()
    index = np.arange(len(data.target))
    rest, test = train_test_split(index, test_size=test_fraction, random_state=seed, stratify=data.target)
    train, val = train_test_split(
        rest, test_size=val_fraction / (1 - test_fraction), random_state=seed, stratify=data.target[rest]
    )
    images = torch.as_tensor(data.images / 16.0, dtype=dtype)[:, None]
    labels = torch.as_tensor(data.target, dtype=torch.int64)

    def part(idx: np.ndarray) -> LabelledImages:
        i = torch.as_tensor(np.sort(idx))
        return LabelledImages(images[i], labels[i], i)

    return DigitSplits(part(train), part(val), part(test))
