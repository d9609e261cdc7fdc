"""Spectrogram figures with physical axes (time in s, frequency in kHz) and the gap or band of a task marked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges for pcolormesh: midpoints between centres, extended by half a step at both ends."""
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def plot_spectrograms(
    db: Tensor | np.ndarray,
    frequencies: np.ndarray,
    times: np.ndarray,
    path: Path,
    *,
    titles: Sequence[str] | None = None,
    gap: tuple[float, float] | None = None,
    cutoff_hz: float | None = None,
    cols: int = 4,
    vmin: float | None = None,
) -> Path:
    """dB spectrograms (N, rows, frames) in a grid; a gap [t0, t1) s is shaded, a cut-off drawn as a line."""
    values = db.detach().cpu().numpy() if isinstance(db, Tensor) else np.asarray(db)
    if values.ndim != 3 or values.shape[1:] != (len(frequencies), len(times)):
        raise ValueError(
            f"spectrograms have shape {values.shape}; expected (N, {len(frequencies)}, {len(times)}) for the axes"
        )
    n = values.shape[0]
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    top = float(values.max())
    vmin = top - 100.0 if vmin is None else vmin
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.axis("off")
    edges_t, edges_f = _edges(np.asarray(times)), np.clip(_edges(np.asarray(frequencies)), 0.0, None) / 1000.0
    image = None
    for i, ax in enumerate(axes.flat[:n]):
        image = ax.pcolormesh(edges_t, edges_f, values[i], vmin=vmin, vmax=top, cmap="magma", shading="flat")
        if gap is not None:
            ax.axvspan(gap[0], gap[1], color="cyan", alpha=0.15, lw=0)
            for t in gap:
                ax.axvline(t, color="cyan", lw=1.0, ls="--")
        if cutoff_hz is not None:
            ax.axhline(cutoff_hz / 1000.0, color="cyan", lw=1.0, ls="--")
        ax.set(xlabel="time (s)", ylabel="frequency (kHz)", title=titles[i] if titles else "")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="dB")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
