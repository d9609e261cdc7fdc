"""Grayscale natural-image patches cut from the images bundled with scikit-image, with held-out test images.

Training patches come from one set of photographs and textures, test patches from different images, so test
scores measure generalisation to unseen content. Values are in [0, 1] (``skimage.util.img_as_float``;
colour images through ``skimage.color.rgb2gray``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import skimage.color
import skimage.data
import skimage.transform
import skimage.util
import torch
from torch import Tensor

TRAIN_IMAGES: tuple[str, ...] = ("camera", "astronaut", "chelsea", "coffee", "rocket", "brick", "grass", "gravel")
TEST_IMAGES: tuple[str, ...] = ("coins", "moon", "cell")
KNOWN_IMAGES: frozenset[str] = frozenset(
    TRAIN_IMAGES + TEST_IMAGES + ("page", "text", "clock", "immunohistochemistry", "hubble_deep_field", "retina")
)


@lru_cache(maxsize=32)
def _load(name: str, downscale: int) -> np.ndarray:
    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        image = skimage.color.rgb2gray(image[..., :3])
    image = skimage.util.img_as_float(image).astype(np.float64)
    if downscale > 1:
        image = skimage.transform.rescale(image, 1.0 / downscale, anti_aliasing=True)
    image = np.clip(image, 0.0, 1.0)
    image.setflags(write=False)
    return image


def load_gray(name: str, downscale: int = 1) -> np.ndarray:
    """The bundled image ``name`` in grayscale, float64 in [0, 1], optionally shrunk by an integer factor
    (anti-aliased)."""
    if name not in KNOWN_IMAGES:
        raise ValueError(f"unknown scikit-image image {name!r}; choose from {sorted(KNOWN_IMAGES)}")
    if downscale < 1:
        raise ValueError(f"downscale must be an integer >= 1, got {downscale}")
    return _load(name, int(downscale))


@dataclass(frozen=True)
class PatchSet:
    """Patches (N, 1, p, p), the image each came from, and its top-left corner (row, column) in that image."""

    patches: Tensor
    sources: tuple[str, ...]
    corners: Tensor

    def __len__(self) -> int:
        return int(self.patches.shape[0])


def split_images(split: Literal["train", "test"]) -> tuple[str, ...]:
    """The image names of a split."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return TRAIN_IMAGES if split == "train" else TEST_IMAGES


def random_patches(
    n: int,
    patch_size: int = 32,
    split: Literal["train", "test"] = "train",
    seed: int = 0,
    downscale: int = 1,
    images: Sequence[str] | None = None,
    dtype: torch.dtype = torch.float32,
) -> PatchSet:
    """n patches at uniformly random positions, each from an image drawn uniformly from the split (or from
    ``images``), seeded."""
    names = tuple(images) if images is not None else split_images(split)
    if not names:
        raise ValueError("no images to cut patches from")
    if n < 0:
        raise ValueError(f"number of patches must be >= 0, got {n}")
    sources = [_checked(name, patch_size, downscale) for name in names]
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(names), n)
    out, corners = np.empty((n, 1, patch_size, patch_size)), np.empty((n, 2), dtype=np.int64)
    for i, k in enumerate(which):
        image = sources[k]
        r = rng.integers(0, image.shape[0] - patch_size + 1)
        c = rng.integers(0, image.shape[1] - patch_size + 1)
        out[i, 0] = image[r : r + patch_size, c : c + patch_size]
        corners[i] = (r, c)
    return PatchSet(torch.as_tensor(out, dtype=dtype), tuple(names[k] for k in which), torch.as_tensor(corners))


def grid_patches(
    patch_size: int = 32,
    stride: int | None = None,
    split: Literal["train", "test"] = "train",
    downscale: int = 1,
    images: Sequence[str] | None = None,
    dtype: torch.dtype = torch.float32,
) -> PatchSet:
    """All patches on a regular grid of corners with spacing ``stride`` (default: non-overlapping) in each image."""
    names = tuple(images) if images is not None else split_images(split)
    if patch_size < 1:
        raise ValueError(f"patch_size must be >= 1, got {patch_size}")
    stride = patch_size if stride is None else stride
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    out, sources, corners = [], [], []
    for name in names:
        image = _checked(name, patch_size, downscale)
        for r in range(0, image.shape[0] - patch_size + 1, stride):
            for c in range(0, image.shape[1] - patch_size + 1, stride):
                out.append(image[r : r + patch_size, c : c + patch_size])
                sources.append(name)
                corners.append((r, c))
    patches = torch.as_tensor(np.stack(out)[:, None] if out else np.zeros((0, 1, patch_size, patch_size)), dtype=dtype)
    return PatchSet(patches, tuple(sources), torch.as_tensor(corners, dtype=torch.int64).reshape(-1, 2))


def _checked(name: str, patch_size: int, downscale: int) -> np.ndarray:
    if patch_size < 1:
        raise ValueError(f"patch_size must be >= 1, got {patch_size}")
    image = load_gray(name, downscale)
    if patch_size > min(image.shape):
        raise ValueError(
            f"patch_size {patch_size} does not fit image {name!r} of shape {image.shape} (downscale {downscale})"
        )
    return image
