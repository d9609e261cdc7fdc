"""Offline image data: scikit-learn's 8x8 digits and natural-image patches from scikit-image's bundled images."""

from sciddiff.domains.fields.datasets.digits import DigitSplits, LabelledImages, load_digit_splits
from sciddiff.domains.fields.datasets.patches import (
    TEST_IMAGES,
    TRAIN_IMAGES,
    PatchSet,
    grid_patches,
    load_gray,
    random_patches,
    split_images,
)

__all__ = [
    "TEST_IMAGES",
    "TRAIN_IMAGES",
    "DigitSplits",
    "LabelledImages",
    "PatchSet",
    "grid_patches",
    "load_digit_splits",
    "load_gray",
    "random_patches",
    "split_images",
]
