"""A dense matrix operator y = A x (compressed sensing, small linear models), with its SVD computed once."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.base import as_shape, fmt_shape
from sciddiff.operators.dense_svd import MatrixSVD


class Matrix(MatrixSVD):
    """y = A x for an (m, d) matrix; x may have any ``in_shape`` with d elements (flattened row-major).

    The exact SVD comes from one torch.linalg.svd call (float64), made on first use.
    """

    def __init__(self, a: Tensor, in_shape: Sequence[int] | None = None) -> None:
        a = torch.as_tensor(a)
        if a.dim() != 2:
            raise ValueError(f"Matrix needs a 2-D (m, d) matrix, got shape {fmt_shape(a.shape)}")
        if not a.is_floating_point():
            a = a.to(torch.float64)
        if not bool(torch.isfinite(a).all()):
            raise ValueError("Matrix has non-finite entries")
        in_shape = (a.shape[1],) if in_shape is None else as_shape(in_shape, "in_shape")
        if torch.Size(in_shape).numel() != a.shape[1]:
            raise ValueError(
                f"in_shape {fmt_shape(in_shape)} has {torch.Size(in_shape).numel()} elements; "
                f"the matrix has {a.shape[1]} columns"
            )
        super().__init__(in_shape, (a.shape[0],))
        self.a = a

    def _matrix(self) -> Tensor:
        return self.a

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], self.in_dim) @ self.a.T.to(x)

    def adjoint(self, y: Tensor) -> Tensor:
        return (y @ self.a.to(y)).reshape(y.shape[0], *self.in_shape)

    def dense(self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> Tensor:
        return self.a.to(dtype=dtype, device=device, copy=True)

    def _repr_args(self) -> str:
        extra = "" if self.in_shape == (self.a.shape[1],) else f", in_shape={self.in_shape}"
        return f"shape={tuple(self.a.shape)}{extra}"
