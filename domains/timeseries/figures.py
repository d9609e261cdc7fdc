"""Fan charts: the median and the central 50% and 90% intervals of an ensemble of series, per channel."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from sciddiff.train.figures import _save


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
    q05, q25, q50, q75, q95 = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    for c, ax in enumerate(axes[:, 0]):
        ax.fill_between(t, q05[c], q95[c], color="tab:blue", alpha=0.2, lw=0, label="90% interval")
        ax.fill_between(t, q25[c], q75[c], color="tab:blue", alpha=0.4, lw=0, label="50% interval")
        ax.plot(t, q50[c], color="tab:blue", lw=1.2, label="median")
        if truth is not None:
            y = np.asarray(truth, dtype=np.float64)[c]
            ax.plot(t, y, color="k", lw=0.8, label="truth")
            if observed is not None:
                m = np.asarray(observed, dtype=bool)[c]
                ax.plot(t[m], y[m], "o", color="tab:red", ms=2.5, label="observed")
        ax.set_ylabel(labels[c] if c < len(labels) else f"channel {c}")
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=5)
    if title:
        axes[0, 0].set_title(title)
    return _save(fig, path)
