"""The digit classifier (learning on a subset, determinism, cache) and the Frechet distance's closed forms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sciddiff.domains.fields.classifier.train as train_module
import torch
from sciddiff.domains.fields.classifier import (
    DigitCNN,
    frechet_distance,
    gaussian_frechet_distance,
    load_digit_classifier,
    shift_batch,
    train_digit_classifier,
)
from sciddiff.domains.fields.datasets import load_digit_splits


def test_training_on_a_subset_learns_and_is_deterministic() -> None:
    torch.set_num_threads(1)
    model, report = train_digit_classifier(seed=0, epochs=10, n_train=300, batch_size=32)
    assert report.test_accuracy > 0.8 and report.val_accuracy > 0.8  # chance is 0.1
    a, _ = train_digit_classifier(seed=3, epochs=1, n_train=64)
    b, _ = train_digit_classifier(seed=3, epochs=1, n_train=64)
    c, _ = train_digit_classifier(seed=4, epochs=1, n_train=64)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    assert not torch.equal(a.head.weight, c.head.weight)
    test = load_digit_splits().test
    assert model.features(test.images).shape == (len(test), 64)


def test_cache_round_trip_trains_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, report = load_digit_classifier(seed=1, directory=tmp_path, epochs=1, n_train=64)
    assert len(list(tmp_path.glob("digit_classifier-*.pt"))) == 1

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached classifier was retrained")

    monkeypatch.setattr(train_module, "train_digit_classifier", fail)
    second, report2 = load_digit_classifier(seed=1, directory=tmp_path, epochs=1, n_train=64)
    assert report2 == report
    for p, q in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(p, q)


def test_shift_batch_translates_images() -> None:
    x = torch.zeros(50, 1, 8, 8)
    x[:, 0, 3, 4] = 1.0
    shifted = shift_batch(x, torch.Generator().manual_seed(0), max_shift=1)
    rows, cols = torch.nonzero(shifted[:, 0])[:, 1], torch.nonzero(shifted[:, 0])[:, 2]
    assert shifted.sum() == 50 and set(rows.tolist()) == {2, 3, 4} and set(cols.tolist()) == {3, 4, 5}
    with pytest.raises(ValueError, match=r"\(B, 1, 8, 8\)"):
        DigitCNN()(torch.zeros(2, 8, 8))


def test_frechet_distance_closed_forms() -> None:
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2; diagonal: sum of the per-axis terms
    assert abs(gaussian_frechet_distance([1.0], [[4.0]], [-1.0], [[1.0]]) - (4 + 1)) < 1e-12
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = 1.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = gaussian_frechet_distance(np.zeros(3), np.diag(var_a), np.array([1.0, 0, 0]), np.diag(var_b))
    assert abs(got - expected) < 1e-10
    # a common rotation leaves it unchanged; equal Gaussians give 0
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))
    rotated = gaussian_frechet_distance(np.zeros(3), q @ np.diag(var_a) @ q.T, q[:, 0], q @ np.diag(var_b) @ q.T)
    assert abs(rotated - expected) < 1e-8
    cov = q @ np.diag(var_a) @ q.T
    assert abs(gaussian_frechet_distance(np.ones(3), cov, np.ones(3), cov)) < 1e-8


def test_frechet_distance_of_features_uses_their_sample_moments() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4000, 2)) @ np.array([[1.0, 0.5], [0.0, 2.0]]) + np.array([1.0, -1.0])
    b = rng.standard_normal((3000, 2)) * math.sqrt(0.5)
    exact = gaussian_frechet_distance(a.mean(0), np.cov(a.T), b.mean(0), np.cov(b.T))
    assert abs(frechet_distance(torch.as_tensor(a), b) - exact) < 1e-10
    population = gaussian_frechet_distance(
        [1.0, -1.0], np.array([[1.0, 0.5], [0.0, 2.0]]).T @ np.array([[1.0, 0.5], [0.0, 2.0]]), [0, 0], 0.5 * np.eye(2)
    )
    assert abs(frechet_distance(a, b) - population) < 0.15
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
