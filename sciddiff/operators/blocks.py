"""Sums or means over non-overlapping blocks (super-resolution, temporal aggregation), with an exact SVD.

In each block of m entries the reduction is the row (1/m) 1^T (mean) or 1^T (sum): one singular value
1/sqrt(m) or sqrt(m) per block. V holds, per block, an orthonormal Helmert basis whose first vector is uniform
1/sqrt(m); U = I. Helmert, "Die Genauigkeit der Formel von Peters" (1876); Lancaster, "The Helmert matrices"
(Amer. Math. Monthly, 1965).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, as_shape, fmt_shape

Reduction = Literal["mean", "sum"]


def helmert(m: int) -> Tensor:
    """The (m, m) orthogonal Helmert matrix (float64): row 0 is 1/sqrt(m), row k contrasts entry k with 0..k-1."""
    h = torch.zeros(m, m, dtype=torch.float64)
    h[0] = 1.0 / math.sqrt(m)
    for k in range(1, m):
        norm = math.sqrt(k * (k + 1))
        h[k, :k] = 1.0 / norm
        h[k, k] = -k / norm
    return h


class BlockReduce(LinearOperator):
    """Reduce (mean or sum) over blocks of ``factors[axis]`` consecutive entries along the given axes."""

    has_svd = True

    def __init__(self, in_shape: Sequence[int], factors: Mapping[int, int], mode: Reduction = "mean") -> None:
        in_shape = as_shape(in_shape, "in_shape")
        if mode not in ("mean", "sum"):
            raise ValueError(f"mode must be 'mean' or 'sum', got {mode!r}")
        norm: dict[int, int] = {}
        for axis, f in factors.items():
            if not -len(in_shape) <= axis < len(in_shape):
                raise ValueError(f"axis {axis} is out of range for in_shape {fmt_shape(in_shape)}")
            a = axis % len(in_shape)
            if int(f) != f or f < 1 or in_shape[a] % int(f):
                raise ValueError(
                    f"block size {f} must be a positive integer dividing axis {a} of in_shape {fmt_shape(in_shape)}"
                )
            norm[a] = int(f)
        self.factors, self.mode = dict(sorted(norm.items())), mode
        out_shape = tuple(n // self.factors.get(a, 1) for a, n in enumerate(in_shape))
        super().__init__(in_shape, out_shape)
        self.block = math.prod(self.factors.values())
        split, outer, inner = [], [], []
        for a, n in enumerate(in_shape):
            if a in self.factors:
                outer.append(len(split))
                inner.append(len(split) + 1)
                split += [n // self.factors[a], self.factors[a]]
            else:
                outer.append(len(split))
                split.append(n)
        self._split = tuple(split)
        self._perm = [0] + [1 + i for i in outer + inner]
        self._inverse_perm = [self._perm.index(i) for i in range(len(self._perm))]
        self._helmert = helmert(self.block)
        self._scale = 1.0 / self.block if mode == "mean" else 1.0

    def _blocks(self, x: Tensor) -> Tensor:
        """(B, *in_shape) -> (B, out_dim, m)."""
        return x.reshape(x.shape[0], *self._split).permute(self._perm).reshape(x.shape[0], self.out_dim, self.block)

    def _unblocks(self, b: Tensor) -> Tensor:
        """(B, out_dim, m) -> (B, *in_shape)."""
        inner = [self.factors[a] for a in self.factors]
        full = b.reshape(b.shape[0], *self.out_shape, *inner).permute(self._inverse_perm)
        return full.reshape(b.shape[0], *self.in_shape)

    def forward(self, x: Tensor) -> Tensor:
        return (self._blocks(x).sum(-1) * self._scale).reshape(x.shape[0], *self.out_shape)

    def adjoint(self, y: Tensor) -> Tensor:
        b = (y.reshape(y.shape[0], self.out_dim, 1) * self._scale).expand(-1, -1, self.block)
        return self._unblocks(b)

    def singular_values(self) -> Tensor:
        value = math.sqrt(self.block) * self._scale
        return torch.full((self.out_dim,), value, dtype=torch.float64)

    def v_t(self, x: Tensor) -> Tensor:
        coef = self._blocks(x) @ self._helmert.T.to(x)
        return torch.cat([coef[..., 0], coef[..., 1:].reshape(x.shape[0], -1)], dim=1)

    def v(self, c: Tensor) -> Tensor:
        n = self.out_dim
        coef = torch.cat([c[:, :n, None], c[:, n:].reshape(c.shape[0], n, self.block - 1)], dim=2)
        return self._unblocks(coef @ self._helmert.to(c))

    def u_t(self, y: Tensor) -> Tensor:
        return y.reshape(y.shape[0], self.out_dim)

    def u(self, c: Tensor) -> Tensor:
        return c.reshape(c.shape[0], *self.out_shape)
