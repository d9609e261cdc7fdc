"""Interpolation of sparse sensor readings onto a grid: piecewise-linear on the Delaunay triangulation of the
sensors (scipy ``griddata``), nearest sensor outside their convex hull."""

from __future__ import annotations

import numpy as np
import scipy.interpolate
import torch
from sciddiff.domains.fields.baselines.common import batched_observation, unbatch
from torch import Tensor

from sciddiff.operators import Mask


def interpolate_sensors(points: np.ndarray, values: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(len(y), len(x)) field from sensor ``values`` (n,) at ``points`` (n, 2) given as (y, x) coordinates."""
    points, values = np.asarray(points, np.float64), np.asarray(values, np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or values.shape != (points.shape[0],):
        raise ValueError(f"need points (n, 2) and values (n,), got {points.shape} and {values.shape}")
    if points.shape[0] < 3:
        raise ValueError(f"linear interpolation needs at least 3 sensors, got {points.shape[0]}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"sensor values have {int((~np.isfinite(values)).sum())} non-finite entries")
    gy, gx = np.meshgrid(np.asarray(y, np.float64), np.asarray(x, np.float64), indexing="ij")
    linear = scipy.interpolate.griddata(points, values, (gy, gx), method="linear")
    outside = np.isnan(linear)
    if outside.any():
        linear[outside] = scipy.interpolate.griddata(points, values, (gy[outside], gx[outside]), method="nearest")
    return linear


def interpolate_masked(op: Mask, y: Tensor, coords: tuple[np.ndarray, np.ndarray] | None = None) -> Tensor:
    """Fill a (H, W) grid observed through a :class:`Mask` (sensors at the true pixels) by interpolation;
    ``coords`` = (y, x) axis coordinates (default pixel indices). Returns (B, H, W) or (H, W)."""
    if not isinstance(op, Mask) or len(op.in_shape) != 2:
        raise ValueError(f"sensor interpolation needs a Mask over a 2-D grid, got {op!r}")
    yb, single = batched_observation(op, y)
    h, w = op.in_shape
    ys, xs = coords if coords is not None else (np.arange(h), np.arange(w))
    if len(ys) != h or len(xs) != w:
        raise ValueError(f"coordinates of lengths ({len(ys)}, {len(xs)}) do not match the grid ({h}, {w})")
    rows, cols = np.nonzero(op.mask.cpu().numpy())
    points = np.stack([np.asarray(ys)[rows], np.asarray(xs)[cols]], 1)
    fields = [interpolate_sensors(points, v, ys, xs) for v in yb.detach().cpu().double().numpy()]
    return unbatch(torch.as_tensor(np.stack(fields), dtype=yb.dtype), single)
