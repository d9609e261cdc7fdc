"""Masking: observe a subset of entries (inpainting, imputation, sparse sensors, forecasting from the past)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, as_shape, fmt_shape


def as_bool_mask(mask: Tensor, what: str = "mask") -> Tensor:
    """``mask`` as a boolean tensor; accepts booleans or 0/1 values."""
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool:
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{what} must be boolean or 0/1, got values {torch.unique(mask)[:5].tolist()}")
        mask = mask.bool()
    return mask


class Mask(LinearOperator):
    """y = x[mask]: the observed entries, gathered in row-major order (out_shape (n_observed,), not zero-filled).

    Adjoint: scatter y back into zeros. Exact SVD: V^T is the permutation listing observed entries first, s = 1
    (n_observed times), U = I.
    """

    has_svd = True

    def __init__(self, mask: Tensor) -> None:
        mask = as_bool_mask(mask)
        flat = mask.reshape(-1)
        self.mask = mask
        self.observed = torch.nonzero(flat).reshape(-1)
        self.missing = torch.nonzero(~flat).reshape(-1)
        self._perm = torch.cat([self.observed, self.missing])
        super().__init__(tuple(mask.shape), (self.observed.numel(),))

    @classmethod
    def forecast(cls, shape: Sequence[int], n_past: int, axis: int = 0) -> Mask:
        """Observe the first ``n_past`` steps along ``axis`` (e.g. time in a (T, C) series), forecast the rest."""
        shape = as_shape(shape)
        axis = axis % len(shape)
        if not 0 <= n_past <= shape[axis]:
            raise ValueError(f"n_past={n_past} is outside [0, {shape[axis]}] for axis {axis} of {fmt_shape(shape)}")
        steps = torch.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))])
        return cls((steps < n_past).expand(shape))

    @classmethod
    def random(cls, shape: Sequence[int], fraction: float, seed: int = 0) -> Mask:
        """Observe each entry independently with probability ``fraction`` (seeded)."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        g = torch.Generator().manual_seed(seed)
        return cls(torch.rand(as_shape(shape), generator=g, dtype=torch.float64) < fraction)

    def _index(self, idx: Tensor, device: torch.device) -> Tensor:
        return idx if idx.device == device else idx.to(device)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1).index_select(1, self._index(self.observed, x.device))

    def adjoint(self, y: Tensor) -> Tensor:
        out = y.new_zeros(y.shape[0], self.in_dim)
        return out.index_copy(1, self._index(self.observed, y.device), y).reshape(y.shape[0], *self.in_shape)

    def singular_values(self) -> Tensor:
        return torch.ones(self.out_dim, dtype=torch.float64, device=self.mask.device)

    def v_t(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1).index_select(1, self._index(self._perm, x.device))

    def v(self, c: Tensor) -> Tensor:
        perm = self._index(self._perm, c.device)
        return c.new_zeros(c.shape[0], self.in_dim).index_copy(1, perm, c).reshape(c.shape[0], *self.in_shape)

    def u_t(self, y: Tensor) -> Tensor:
        return y.reshape(y.shape[0], self.out_dim)

    def u(self, c: Tensor) -> Tensor:
        return c.reshape(c.shape[0], *self.out_shape)

    def _repr_args(self) -> str:
        return f"observed={self.out_dim}/{self.in_dim}, shape={self.in_shape}"
