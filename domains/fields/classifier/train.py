"""Training, evaluating and caching the digit classifier used to score class-conditional digit samples."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from sciddiff.domains.fields.classifier.model import DigitCNN
from sciddiff.domains.fields.datasets.digits import load_digit_splits
from torch import Tensor

from sciddiff.train.cache import cache_dir


@dataclass(frozen=True)
class ClassifierReport:
    """Accuracies on the validation and test splits and the wall-clock training time."""

    val_accuracy: float
    test_accuracy: float
    seconds: float


def shift_batch(x: Tensor, generator: torch.Generator, max_shift: int = 1) -> Tensor:
    """Each image translated by a random integer offset in [-max_shift, max_shift]^2, zero-filled."""
    if max_shift == 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (b, 2), generator=generator)
    rows = (offsets[:, :1] + torch.arange(h))[:, :, None]
    cols = (offsets[:, 1:] + torch.arange(w))[:, None, :]
    return padded[torch.arange(b)[:, None, None], 0, rows, cols][:, None]


@torch.no_grad()
def accuracy(model: DigitCNN, images: Tensor, labels: Tensor) -> float:
    """Fraction of images whose arg-max class equals the label."""
    model.eval()
    return float((model(images).argmax(1) == labels).to(torch.float64).mean())


def train_digit_classifier(
    seed: int = 0,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 3e-3,
    width: int = 32,
    features: int = 64,
    max_shift: int = 1,
    split_seed: int = 0,
    n_train: int | None = None,
) -> tuple[DigitCNN, ClassifierReport]:
    """Train :class:`DigitCNN` with Adam (cosine learning-rate decay) and random one-pixel shifts on the train
    split of :func:`load_digit_splits` (``split_seed``), optionally on its first ``n_train`` images; everything
    random is drawn from generators seeded by ``seed``."""
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1, lr > 0; got {epochs}, {batch_size}, {lr}")
    start = time.perf_counter()
    splits = load_digit_splits(split_seed)
    x, y = splits.train.images, splits.train.labels
    if n_train is not None:
        if not 1 <= n_train <= len(y):
            raise ValueError(f"n_train must be in [1, {len(y)}], got {n_train}")
        x, y = x[:n_train], y[:n_train]
    g = torch.Generator().manual_seed(seed)
    model = DigitCNN(width, features)
    model.reset_parameters(g)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(y) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(shift_batch(x[idx], g, max_shift)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    report = ClassifierReport(
        accuracy(model, splits.val.images, splits.val.labels),
        accuracy(model, splits.test.images, splits.test.labels),
        time.perf_counter() - start,
    )
    return model.eval(), report


def load_digit_classifier(
    seed: int = 0, directory: str | os.PathLike[str] | None = None, epochs: int = 30, n_train: int | None = None
) -> tuple[DigitCNN, ClassifierReport]:
    """The classifier of :func:`train_digit_classifier` (``seed``, ``epochs``, ``n_train``, other settings at
    their defaults), trained once and cached as a state_dict (loaded with ``weights_only=True``)."""
    config = {"seed": seed, "epochs": epochs, "n_train": n_train, "version": 1}
    key = json.dumps(config, sort_keys=True)
    path = cache_dir(directory) / f"digit_classifier-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    if not path.exists():
        model, report = train_digit_classifier(seed, epochs=epochs, n_train=n_train)
        payload = {
            "key": key,
            "model_config": model.config,
            "state_dict": model.state_dict(),
            "report": [report.val_accuracy, report.test_accuracy, report.seconds],
        }
        _save_new(payload, path)
    payload = torch.load(path, weights_only=True)
    if payload.get("key") != key:
        raise ValueError(f"cache file {path} holds a classifier for {payload.get('key')!r}, not {key!r}")
    model = DigitCNN(**payload["model_config"])
    model.load_state_dict(payload["state_dict"])
    return model.eval(), ClassifierReport(*payload["report"])


def _save_new(payload: dict[str, object], path: Path) -> None:
    """Write to a temporary file and hard-link it into place, never replacing an existing file."""
    fd, tmp = tempfile.mkstemp(suffix=".pt.tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        with contextlib.suppress(FileExistsError):  # saved meanwhile by another process: its key is checked
            os.link(tmp, path)
    finally:
        os.remove(tmp)
