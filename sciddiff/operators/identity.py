"""The identity operator (denoising): A = I, with the trivial SVD U = V = I, s = 1."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator


class Identity(LinearOperator):
    """y = x: pure denoising; exact SVD with U = V = I and all singular values 1."""

    has_svd = True

    def __init__(self, shape: Sequence[int] | int) -> None:
        super().__init__(shape, shape)

    def forward(self, x: Tensor) -> Tensor:
        return x

    def adjoint(self, y: Tensor) -> Tensor:
        return y

    def singular_values(self) -> Tensor:
        return torch.ones(self.in_dim, dtype=torch.float64)

    def v_t(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], self.in_dim)

    def v(self, c: Tensor) -> Tensor:
        return c.reshape(c.shape[0], *self.in_shape)

    def u_t(self, y: Tensor) -> Tensor:
        return y.reshape(y.shape[0], self.out_dim)

    def u(self, c: Tensor) -> Tensor:
        return c.reshape(c.shape[0], *self.out_shape)

    def _repr_args(self) -> str:
        return f"shape={self.in_shape}"
