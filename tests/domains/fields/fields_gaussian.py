"""Gaussian fields with a known mean and covariance, written as a user netCDF file for the fields adapter (a
helper module with a unique name: test files import it directly, never from ``conftest``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import xarray as xr

F64 = torch.float64


@dataclass(frozen=True)
class GaussianFields:
    """Fields (C, H, W) ~ N(mu, cov) (flattened), written to ``path`` with variables ``names`` in ``units``."""

    path: Path
    mu: torch.Tensor
    cov: torch.Tensor
    shape: tuple[int, int, int]
    names: tuple[str, ...]
    units: tuple[str, ...]
    y: np.ndarray
    x: np.ndarray


def write_gaussian_fields(
    path: Path, shape: tuple[int, int, int], n: int = 600, seed: int = 0, names: tuple[str, ...] = ("a", "b")
) -> GaussianFields:
    """n draws of a smooth Gaussian field with distinct channel means and scales, written to a netCDF file."""
    c, h, w = shape
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(h, dtype=F64), torch.arange(w, dtype=F64), indexing="ij")
    pts = torch.stack([yy.reshape(-1), xx.reshape(-1)], 1)
    k = torch.exp(-(torch.cdist(pts, pts) ** 2) / 4.0)
    scales = torch.tensor([3.0, 0.02, 1.0][:c], dtype=F64)
    means = torch.tensor([10.0, -0.5, 2.0][:c], dtype=F64)
    mix = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.3, 0.95]], dtype=F64)[:c, :c]
    cov_c = (mix @ mix.T) * scales[:, None] * scales[None, :]
    cov = torch.kron(cov_c, k) + 0.05 * torch.kron(torch.diag(scales**2), torch.eye(h * w, dtype=F64))
    mu = (means[:, None] + 0.1 * scales[:, None] * torch.arange(h * w, dtype=F64)[None, :] / (h * w)).reshape(-1)
    root = torch.linalg.cholesky(cov)
    draws = mu + torch.randn(n, c * h * w, generator=g, dtype=F64) @ root.T
    fields = draws.reshape(n, c, h, w).numpy()
    names, units = tuple(names[:c]), tuple(f"unit_{v}" for v in names[:c])
    y, x = np.linspace(0.0, 2.0, h), np.linspace(-1.0, 1.0, w)
    ds = xr.Dataset(
        {
            v: (("sample", "y", "x"), fields[:, i], {"units": units[i], "long_name": f"field {v}"})
            for i, v in enumerate(names)
        },
        coords={"y": ("y", y, {"units": "m"}), "x": ("x", x, {"units": "m"})},
    )
    ds.to_netcdf(path)
    return GaussianFields(path, mu, cov, shape, names, units, y, x)
