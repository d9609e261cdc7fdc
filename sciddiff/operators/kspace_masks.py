"""Variable-density random sampling masks for partial Fourier (MRI) operators, conjugate-symmetric by design."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from sciddiff.operators.base import as_shape
from sciddiff.operators.real_fourier import conjugate_frequencies, frequency_roles


def _scaled_probabilities(weight: Tensor, centre: Tensor, target: float) -> Tensor:
    """min(1, c * weight) outside the centre with c chosen (bisection) so the expected count hits ``target``."""
    need = target - float(centre.sum())
    if need <= 0:
        return torch.zeros_like(weight)
    w = torch.where(centre, torch.zeros_like(weight), weight)
    lo, hi = 0.0, 1.0
    while float(torch.clamp(hi * w, max=1).sum()) < need and hi < 1e12:
        hi *= 2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(torch.clamp(mid * w, max=1).sum()) < need else (lo, mid)
    return torch.clamp(hi * w, max=1)


def variable_density_mask(
    shape: Sequence[int],
    acceleration: float = 4.0,
    center_fraction: float = 0.08,
    pattern: Literal["random", "lines"] = "random",
    decay: float = 2.0,
    seed: int = 0,
) -> Tensor:
    """A seeded boolean k-space mask (numpy.fft order) sampling about 1/``acceleration`` of the frequencies.

    Frequencies in the central ``center_fraction`` of the band on every axis are always sampled; the others with
    probability proportional to (1 - |k| / |k|_max)^decay, scaled to the target rate. ``pattern="random"`` samples
    points of the (H, W) grid, ``"lines"`` whole lines along the last axis (Cartesian phase encoding: columns
    chosen by their last-axis frequency). The mask is exactly conjugate-symmetric (a frequency and its partner
    share one draw). Lustig, Donoho & Pauly, "Sparse MRI" (Magn. Reson. Med. 2007); Zbontar et al., "fastMRI"
    (2018), arXiv:1811.08839.
    """
    shape = as_shape(shape)
    if acceleration < 1:
        raise ValueError(f"acceleration must be >= 1, got {acceleration}")
    if not 0 <= center_fraction <= 1:
        raise ValueError(f"center_fraction must be in [0, 1], got {center_fraction}")
    if pattern not in ("random", "lines"):
        raise ValueError(f"pattern must be 'random' or 'lines', got {pattern!r}")
    grid = shape if pattern == "random" else shape[-1:]
    freqs = [torch.fft.fftfreq(n, dtype=torch.float64).abs() * 2 for n in grid]  # in [0, 1]
    mesh = torch.meshgrid(*freqs, indexing="ij")
    radius = torch.stack(mesh).pow(2).sum(0).sqrt() / len(grid) ** 0.5
    centre = torch.stack([f <= center_fraction for f in mesh]).all(0)
    weight = (1 - radius).clamp(min=0) ** decay
    n = radius.numel()
    prob = torch.where(centre, torch.ones_like(radius), _scaled_probabilities(weight, centre, n / acceleration))
    g = torch.Generator().manual_seed(seed)
    draw = torch.rand(grid, generator=g, dtype=torch.float64)
    roles = frequency_roles(tuple(grid))
    draw = torch.where(roles == 2, conjugate_frequencies(draw, len(grid)), draw)  # partners share one draw
    picked = draw < prob
    return picked.expand(shape).clone() if pattern == "lines" else picked
