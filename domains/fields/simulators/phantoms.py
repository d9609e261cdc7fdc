"""Piecewise-constant ellipse phantoms for tomography: the modified Shepp-Logan head and random ellipses.

A phantom is a sum of ellipses, each adding its intensity inside {((x', y') rotated by -angle around the centre):
(x'/a)^2 + (y'/b)^2 <= 1} on the field of view [-1, 1]^2. Shepp & Logan, "The Fourier Reconstruction of a Head
Section", IEEE Trans. Nucl. Sci. 1974; the higher-contrast intensities of Toft, "The Radon Transform: Theory and
Implementation" (PhD thesis, DTU, 1996).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import xarray as xr

from sciddiff.train.cache import cached


@dataclass(frozen=True)
class Ellipse:
    """An ellipse adding ``intensity`` inside; semi-axes (a, b), centre (x0, y0), rotation ``angle`` (radians)."""

    intensity: float
    a: float
    b: float
    x0: float = 0.0
    y0: float = 0.0
    angle: float = 0.0

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0):
            raise ValueError(f"ellipse semi-axes must be positive, got a={self.a}, b={self.b}")

    @property
    def area(self) -> float:
        """pi a b."""
        return math.pi * self.a * self.b

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether the points (x, y) lie inside (boundary included)."""
        dx, dy = x - self.x0, y - self.y0
        c, s = math.cos(self.angle), math.sin(self.angle)
        return ((dx * c + dy * s) / self.a) ** 2 + ((-dx * s + dy * c) / self.b) ** 2 <= 1.0


def _deg(d: float) -> float:
    return math.radians(d)


SHEPP_LOGAN: tuple[Ellipse, ...] = (
    Ellipse(1.0, 0.69, 0.92),
    Ellipse(-0.8, 0.6624, 0.874, 0.0, -0.0184),
    Ellipse(-0.2, 0.11, 0.31, 0.22, 0.0, _deg(-18)),
    Ellipse(-0.2, 0.16, 0.41, -0.22, 0.0, _deg(18)),
    Ellipse(0.1, 0.21, 0.25, 0.0, 0.35),
    Ellipse(0.1, 0.046, 0.046, 0.0, 0.1),
    Ellipse(0.1, 0.046, 0.046, 0.0, -0.1),
    Ellipse(0.1, 0.046, 0.023, -0.08, -0.605),
    Ellipse(0.1, 0.023, 0.023, 0.0, -0.606),
    Ellipse(0.1, 0.023, 0.046, 0.06, -0.605),
)
"""The modified Shepp-Logan phantom (Toft's intensities; MATLAB's ``phantom('Modified Shepp-Logan')``)."""


def pixel_centres(size: int) -> np.ndarray:
    """The pixel centres -1 + (2 j + 1) / size of a size-pixel axis over [-1, 1]."""
    if size < 1:
        raise ValueError(f"a phantom needs size >= 1 pixels, got {size}")
    return -1.0 + (2.0 * np.arange(size) + 1.0) / size


def evaluate(ellipses: Sequence[Ellipse], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The summed intensities of the ellipses containing each point (x, y)."""
    out = np.zeros(np.broadcast(x, y).shape)
    for e in ellipses:
        out += e.intensity * e.contains(x, y)
    return out


def rasterize(ellipses: Sequence[Ellipse], size: int, supersample: int = 1) -> np.ndarray:
    """(size, size) image (rows y ascending, columns x) of the ellipses' summed intensities, each pixel the mean
    over a supersample x supersample grid of sub-pixel centres (1: the value at the pixel centre)."""
    if supersample < 1:
        raise ValueError(f"supersample must be >= 1, got {supersample}")
    fine = pixel_centres(size * supersample)
    y, x = np.meshgrid(fine, fine, indexing="ij")
    return evaluate(ellipses, x, y).reshape(size, supersample, size, supersample).mean((1, 3))


def random_ellipses(rng: np.random.Generator, n_inner: tuple[int, int] = (3, 10)) -> list[Ellipse]:
    """A body ellipse of intensity 0.5 (semi-axes in [0.6, 0.9], centred near 0) and a random number in
    ``n_inner`` of inner ellipses of intensities in [-0.3, 0.4], centres inside the body, semi-axes in
    [0.03, 0.3]; the image is clipped to [0, 1] by :func:`ellipse_phantoms`."""
    lo, hi = n_inner
    if not 0 <= lo <= hi:
        raise ValueError(f"n_inner must be an increasing pair of counts >= 0, got {n_inner}")
    body = Ellipse(0.5, *rng.uniform(0.6, 0.9, 2), *rng.uniform(-0.05, 0.05, 2), rng.uniform(-math.pi, math.pi))
    out = [body]
    for _ in range(int(rng.integers(lo, hi + 1))):
        radius, theta = 0.8 * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
        u, v = radius * body.a * math.cos(theta), radius * body.b * math.sin(theta)
        c, s = math.cos(body.angle), math.sin(body.angle)
        centre = (body.x0 + u * c - v * s, body.y0 + u * s + v * c)
        axes = rng.uniform(0.03, 0.3, 2)
        out.append(Ellipse(rng.uniform(-0.3, 0.4), *axes, *centre, rng.uniform(-math.pi, math.pi)))
    return out


def jittered_shepp_logan(rng: np.random.Generator, jitter: float = 0.1) -> list[Ellipse]:
    """Shepp-Logan with relative perturbations of size ``jitter``: semi-axes and inner intensities scaled by
    1 + U(-jitter, jitter), centres shifted by U(-jitter, jitter) * 0.1, angles by U(-jitter, jitter) * 30 deg;
    the skull and the brain (the first two ellipses) share one perturbation, which only shrinks them, so the skull
    keeps its thickness and stays inside the field of view."""
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter must be in [0, 1), got {jitter}")
    head = rng.uniform(-jitter, jitter, 6)
    head[1:3] = -np.abs(head[1:3])
    out = []
    for i, e in enumerate(SHEPP_LOGAN):
        u = head if i < 2 else rng.uniform(-jitter, jitter, 6)
        out.append(
            replace(
                e,
                intensity=e.intensity * (1 + u[0]) if i >= 2 else e.intensity,
                a=e.a * (1 + u[1]),
                b=e.b * (1 + u[2]),
                x0=e.x0 + 0.1 * u[3],
                y0=e.y0 + 0.1 * u[4],
                angle=e.angle + _deg(30) * u[5],
            )
        )
    return out


PhantomKind = Literal["ellipses", "shepp_logan"]


def ellipse_phantoms(
    n: int, size: int, seed: int, kind: PhantomKind = "ellipses", supersample: int = 2, jitter: float = 0.1
) -> xr.Dataset:
    """n seeded phantoms (values clipped to [0, 1]) as ``image`` with dims (sample, y, x) over [-1, 1]^2:
    ``kind`` "ellipses" (:func:`random_ellipses`) or "shepp_logan" (:func:`jittered_shepp_logan`)."""
    if kind not in ("ellipses", "shepp_logan"):
        raise ValueError(f"phantom kind must be 'ellipses' or 'shepp_logan', got {kind!r}")
    if n < 0:
        raise ValueError(f"number of phantoms must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    draw = random_ellipses if kind == "ellipses" else lambda r: jittered_shepp_logan(r, jitter)
    images = [np.clip(rasterize(draw(rng), size, supersample), 0.0, 1.0) for _ in range(n)]
    coord = pixel_centres(size)
    return xr.Dataset(
        {
            "image": (
                ("sample", "y", "x"),
                np.stack(images) if n else np.zeros((0, size, size)),
                {"long_name": "attenuation", "units": "1"},
            )
        },
        coords={
            "sample": np.arange(n),
            "y": ("y", coord, {"units": "1", "long_name": "y (field of view [-1, 1])"}),
            "x": ("x", coord, {"units": "1", "long_name": "x (field of view [-1, 1])"}),
        },
        attrs={"title": f"{kind} phantoms", "seed": seed},
    )


def load_phantoms(
    n: int,
    size: int,
    seed: int,
    kind: PhantomKind = "ellipses",
    supersample: int = 2,
    jitter: float = 0.1,
    directory: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """:func:`ellipse_phantoms`, cached as netCDF."""
    params = {"n": n, "size": size, "seed": seed, "kind": kind, "supersample": supersample, "jitter": jitter}
    return cached("phantoms", params, lambda: ellipse_phantoms(n, size, seed, kind, supersample, jitter), directory)
