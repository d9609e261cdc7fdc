"""Matplotlib figures shared by every domain: loss curves, generic sample plots, posterior mean and std."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import Tensor


def plot_loss_curve(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Training loss per step (and validation loss where logged), log scale."""
    train = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    val = [(r["step"], r["val/loss"]) for r in rows if "val/loss" in r]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if train:
        ax.plot(*zip(*train, strict=True), lw=0.8, label="train")
    if val:
        ax.plot(*zip(*val, strict=True), "o-", ms=3, label="validation (EMA)")
    ax.set(xlabel="step", ylabel="loss", yscale="log")
    ax.legend()
    return _save(fig, path)


def plot_scatter(samples: Tensor, path: Path, reference: Tensor | None = None, title: str = "") -> Path:
    """First two coordinates of samples (and reference data) for low-dimensional data."""
    fig, ax = plt.subplots(figsize=(4, 4))
    if reference is not None:
        ax.scatter(reference[:, 0], reference[:, 1], s=2, alpha=0.3, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, label="samples")
    ax.set(title=title, aspect="equal")
    ax.legend(markerscale=4)
    return _save(fig, path)


def plot_image_grid(images: Tensor, path: Path, cols: int = 8, cmap: str = "gray") -> Path:
    """A grid of (N, H, W) or (N, 1, H, W) images."""
    images = images.detach().cpu().float()
    if images.dim() == 4:
        images = images[:, 0]
    rows = math.ceil(images.shape[0] / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img in zip(axes.flat, images, strict=False):
        ax.imshow(img, cmap=cmap)
    return _save(fig, path)


def plot_posterior(mean: Tensor, std: Tensor, path: Path, truth: Tensor | None = None) -> Path:
    """Posterior mean and standard deviation (and the truth and error when known) side by side: images for 2-D
    fields (one row per channel of a (..., H, W) field), bands for 1-D signals."""
    mean, std = mean.detach().cpu().float(), std.detach().cpu().float()
    panels = {"posterior mean": mean, "posterior std": std}
    if truth is not None:
        truth = truth.detach().cpu().float()
        panels = {"truth": truth, **panels, "|error|": (mean - truth).abs()}
    if mean.dim() >= 2 and mean.shape[-1] > 1 and mean.shape[-2] > 1:
        h, w = mean.shape[-2:]
        rows = {name: img.reshape(-1, h, w) for name, img in panels.items()}
        n_rows = rows["posterior mean"].shape[0]
        fig, axes = plt.subplots(n_rows, len(panels), figsize=(3 * len(panels), 3 * n_rows), squeeze=False)
        for col, (name, imgs) in enumerate(rows.items()):
            for row in range(n_rows):
                ax = axes[row, col]
                im = ax.imshow(imgs[row])
                ax.set(title=name if n_rows == 1 else f"{name}, channel {row}")
                ax.axis("off")
                fig.colorbar(im, ax=ax, shrink=0.8)
        return _save(fig, path)
    m, s = mean.reshape(-1), std.reshape(-1)
    fig, ax = plt.subplots(figsize=(7, 3))
    idx = torch.arange(m.numel())
    ax.fill_between(idx, m - 2 * s, m + 2 * s, alpha=0.3, label="mean +- 2 std")
    ax.plot(idx, m, label="posterior mean")
    if truth is not None:
        ax.plot(idx, truth.reshape(-1), "k.", ms=3, label="truth")
    ax.legend()
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
