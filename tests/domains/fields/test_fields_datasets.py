"""Offline datasets: the digit splits against scikit-learn's arrays, and image patches against direct crops."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch
from sciddiff.domains.fields.datasets import (
    TEST_IMAGES,
    TRAIN_IMAGES,
    grid_patches,
    load_digit_splits,
    load_gray,
    random_patches,
)
from sklearn.datasets import load_digits


def test_digit_splits_are_disjoint_stratified_and_exact() -> None:
    splits = load_digit_splits(seed=0)
    raw = load_digits()
    parts = (splits.train, splits.val, splits.test)
    all_index = torch.cat([p.index for p in parts])
    assert sorted(all_index.tolist()) == list(range(1797))
    for p in parts:
        np.testing.assert_array_equal(p.images[:, 0].double().numpy() * 16, raw.images[p.index.numpy()])
        np.testing.assert_array_equal(p.labels.numpy(), raw.target[p.index.numpy()])
        assert p.images.shape[1:] == (1, 8, 8) and p.images.min() == 0 and p.images.max() == 1
    counts = torch.bincount(splits.test.labels, minlength=10).double()
    overall = torch.as_tensor(np.bincount(raw.target), dtype=torch.float64) * len(splits.test) / 1797
    assert float((counts - overall).abs().max()) <= 1.0
    assert len(splits.test) == 270 and len(splits.val) == 270


def test_digit_seeds() -> None:
    a, b, c = load_digit_splits(seed=1), load_digit_splits(seed=1), load_digit_splits(seed=2)
    assert torch.equal(a.test.index, b.test.index)
    assert not torch.equal(a.test.index, c.test.index)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digit_splits(val_fraction=0.6, test_fraction=0.5)


def test_patches_are_crops_of_their_source_images() -> None:
    ps = random_patches(20, patch_size=16, split="train", seed=3, dtype=torch.float64)
    camera = skimage.data.camera() / 255.0
    np.testing.assert_allclose(load_gray("camera"), camera, atol=0)
    for patch, name, (r, c) in zip(ps.patches, ps.sources, ps.corners.tolist(), strict=True):
        np.testing.assert_array_equal(patch[0].numpy(), load_gray(name)[r : r + 16, c : c + 16])
    assert set(ps.sources) <= set(TRAIN_IMAGES)
    assert float(ps.patches.min()) >= 0 and float(ps.patches.max()) <= 1
    again = random_patches(20, patch_size=16, split="train", seed=3, dtype=torch.float64)
    assert torch.equal(ps.patches, again.patches)
    assert not torch.equal(ps.patches, random_patches(20, patch_size=16, seed=4, dtype=torch.float64).patches)


def test_test_patches_come_from_held_out_images() -> None:
    assert not set(TRAIN_IMAGES) & set(TEST_IMAGES)
    grid = grid_patches(64, split="test")
    assert set(grid.sources) == set(TEST_IMAGES)
    expected = sum((s[0] // 64) * (s[1] // 64) for s in (load_gray(n).shape for n in TEST_IMAGES))
    assert len(grid) == expected
    r, c = grid.corners[5].tolist()
    np.testing.assert_allclose(grid.patches[5, 0].double().numpy(), load_gray(grid.sources[5])[r : r + 64, c : c + 64])
    shrunk = load_gray("moon", downscale=4)
    assert shrunk.shape == (128, 128)
    assert abs(shrunk.mean() - load_gray("moon").mean()) < 5e-3  # anti-aliased rescaling keeps the mean


def test_bad_patch_requests_raise() -> None:
    with pytest.raises(ValueError, match="does not fit image 'coins'"):
        random_patches(1, patch_size=400, images=["coins"])
    with pytest.raises(ValueError, match="patch_size must be >= 1"):
        grid_patches(0)
    with pytest.raises(ValueError, match="unknown scikit-image image"):
        random_patches(1, images=["lena"])
    with pytest.raises(ValueError, match="split"):
        random_patches(1, split="val")  # type: ignore[arg-type]
