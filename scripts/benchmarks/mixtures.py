"""The benchmark's exact Gaussian mixtures (fixed by seed; never used to choose defaults)."""

from __future__ import annotations

from sciddiff.analytic import random_mixture, ring_mixture

BENCHMARK_MIXTURES = {
    "ring-8 (d=2)": lambda: ring_mixture(8, radius=2.0, std=0.2),
    "anisotropic-5 (d=16)": lambda: random_mixture(16, 5, seed=2026),
}
