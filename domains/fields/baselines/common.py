"""Shared input handling for the reconstruction baselines."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.operators import Operator


def batched_observation(op: Operator, y: Tensor) -> tuple[Tensor, bool]:
    """``y`` as a (B, *out_shape) batch and whether it was a single observation; rejects NaN or inf."""
    y = torch.as_tensor(y)
    op.check_observation(y)
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"the observation has {int((~torch.isfinite(y)).sum())} non-finite values")
    single = tuple(y.shape) == op.out_shape
    return (y[None] if single else y), single


def unbatch(x: Tensor, single: bool) -> Tensor:
    """Drop the batch axis again for a single observation."""
    return x[0] if single else x


def batch_dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-sample inner products of two (B, ...) tensors."""
    return (a * b).reshape(a.shape[0], -1).sum(1)


def operator_norm(op: Operator, n_iter: int = 100, seed: int = 0, dtype: torch.dtype = torch.float64) -> float:
    """||A||_2 of a linear operator by power iteration on A^T A (from a seeded random start)."""
    if not op.linear:
        raise ValueError(f"operator {op!r} is not linear; its norm needs an adjoint")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, *op.in_shape, generator=g, dtype=dtype)
    x = x / x.norm()
    value = 0.0
    for _ in range(n_iter):
        z = op.adjoint(op.forward(x))  # type: ignore[attr-defined]
        value = float(z.norm())
        if value == 0.0:
            return 0.0
        x = z / value
    return value**0.5
