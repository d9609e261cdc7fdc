"""Fan charts: the median and the central 50% and 90% intervals of an ensemble of series, per channel or per
method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from sciddiff.train.figures import _save


def draw_fan(
    ax: Any, t: np.ndarray, x: np.ndarray, truth: np.ndarray | None = None, observed: np.ndarray | None = None
) -> None:
    """One panel: the 5-95% and 25-75% bands and the median of x (N, L) over t, ``truth`` (L,) as a line and
    its ``observed`` (L,) entries as dots."""
    q05, q25, q50, q75, q95 = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(t, q05, q95, color="tab:blue", alpha=0.2, lw=0, label="90% interval")
    ax.fill_between(t, q25, q75, color="tab:blue", alpha=0.4, lw=0, label="50% interval")
    ax.plot(t, q50, color="tab:blue", lw=1.2, label="median")
    if truth is not None:
        ax.plot(t, truth, color="k", lw=0.8, label="truth")
        if observed is not None:
            ax.plot(t[observed], truth[observed], "o", color="tab:red", ms=2.5, label="observed")


def plot_fan_chart(
    samples: Tensor | np.ndarray,
    path: Path,
    labels: Sequence[str],
    truth: Tensor | np.ndarray | None = None,
    observed: Tensor | np.ndarray | None = None,
    time: np.ndarray | None = None,
    max_channels: int = 4,
    title: str = "",
) -> Path:
    """Samples (N, C, L): a panel per channel (the first ``max_channels``) with the 5-95% and 25-75% bands and
    the median; ``truth`` (C, L) as a line and its ``observed`` (C, L) entries (the conditioning) as dots."""
    x = np.asarray(samples, dtype=np.float64)
    n_panels = min(max_channels, x.shape[1])
    t = np.arange(x.shape[-1]) if time is None else np.asarray(time)
    fig, axes = plt.subplots(n_panels, 1, figsize=(8, 2.2 * n_panels), squeeze=False, sharex=True)
    for c, ax in enumerate(axes[:, 0]):
        y = None if truth is None else np.asarray(truth, dtype=np.float64)[c]
        m = None if observed is None or truth is None else np.asarray(observed, dtype=bool)[c]
        draw_fan(ax, t, x[:, c], y, m)
        ax.set_ylabel(labels[c] if c < len(labels) else f"channel {c}")
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=5)
    if title:
        axes[0, 0].set_title(title)
    return _save(fig, path)


def plot_method_fans(
    samples: Mapping[str, Tensor | np.ndarray],
    path: Path,
    truth: Tensor | np.ndarray,
    observed: Tensor | np.ndarray | None = None,
    time: np.ndarray | None = None,
    ylabel: str = "",
    title: str = "",
) -> Path:
    """One series forecast or imputed by several methods: a panel per method of its samples (N, L), all against
    the same ``truth`` (L,) and ``observed`` (L,) entries, on shared axes."""
    if not samples:
        raise ValueError("plot_method_fans needs the samples of at least one method")
    y = np.asarray(truth, dtype=np.float64)
    t = np.arange(y.shape[-1]) if time is None else np.asarray(time)
    m = None if observed is None else np.asarray(observed, dtype=bool)
    series = {name: np.asarray(x, dtype=np.float64) for name, x in samples.items()}
    for name, x in series.items():
        if x.shape[-1] != y.shape[-1]:
            raise ValueError(f"method {name!r} has samples of length {x.shape[-1]}; the truth has {y.shape[-1]}")
    fig, axes = plt.subplots(len(series), 1, figsize=(8, 2.0 * len(series)), squeeze=False, sharex=True, sharey=True)
    for ax, (name, x) in zip(axes[:, 0], series.items(), strict=True):
        draw_fan(ax, t, x.reshape(-1, x.shape[-1]), y, m)
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=8, loc="right")
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=5)
    if title:
        axes[0, 0].set_title(title, fontsize=9, loc="left")
    return _save(fig, path)
