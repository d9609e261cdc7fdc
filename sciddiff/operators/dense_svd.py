"""Exact SVD from an explicit matrix: A = U diag(s) V^T by torch.linalg.svd, computed once in float64."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator


@dataclass(frozen=True)
class SVDFactors:
    """Full SVD of an (m, n) matrix: ``u`` (m, m), ``s`` (min(m, n),) descending, ``vh`` (n, n) = V^T."""

    u: Tensor
    s: Tensor
    vh: Tensor

    @classmethod
    def of(cls, matrix: Tensor) -> SVDFactors:
        u, s, vh = torch.linalg.svd(matrix.to(torch.float64), full_matrices=True)
        return cls(u, s, vh)


class MatrixSVD(LinearOperator):
    """A linear operator whose SVD comes from its dense (out_dim, in_dim) matrix, factorised on first use."""

    has_svd = True
    _factors: SVDFactors | None = None

    @abstractmethod
    def _matrix(self) -> Tensor:
        """The (out_dim, in_dim) matrix to factorise."""

    def svd_factors(self) -> SVDFactors:
        if self._factors is None:
            self._factors = SVDFactors.of(self._matrix())
        return self._factors

    def singular_values(self) -> Tensor:
        return self.svd_factors().s

    def v_t(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], self.in_dim) @ self.svd_factors().vh.T.to(x)

    def v(self, c: Tensor) -> Tensor:
        return (c @ self.svd_factors().vh.to(c)).reshape(c.shape[0], *self.in_shape)

    def u_t(self, y: Tensor) -> Tensor:
        return y.reshape(y.shape[0], self.out_dim) @ self.svd_factors().u.to(y)

    def u(self, c: Tensor) -> Tensor:
        return (c @ self.svd_factors().u.T.to(c)).reshape(c.shape[0], *self.out_shape)


class DenseSVD(MatrixSVD):
    """Any linear operator with an SVD from ``op.dense()``; forward and adjoint still call ``op`` (small problems)."""

    def __init__(self, op: LinearOperator) -> None:
        if not isinstance(op, LinearOperator):
            raise ValueError(f"with_dense_svd needs a linear operator, got {op!r}")
        super().__init__(op.in_shape, op.out_shape)
        self.op = op

    def _matrix(self) -> Tensor:
        return self.op.dense(torch.float64)

    def forward(self, x: Tensor) -> Tensor:
        return self.op.forward(x)

    def adjoint(self, y: Tensor) -> Tensor:
        return self.op.adjoint(y)

    def __repr__(self) -> str:
        return f"DenseSVD({self.op!r})"
