"""Cost counting by wrapping: every forward, adjoint, SVD transform, VJP and JVP adds to a shared Cost."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.operators.base import LinearOperator, Operator


class CountingOperator(Operator):
    """Wraps ``op`` and counts batched calls into ``cost``, keeping op's shapes and features.

    ``cost.operator_calls`` counts forward, adjoint and SVD-transform (v_t, v, u_t, u) applications;
    ``cost.vjp`` and ``cost.jvp`` count derivative products. Wrapping a linear operator gives a
    :class:`CountingLinearOperator` (a LinearOperator), so pinv and the SVD keep working and are counted
    through the calls they make. Other attributes (e.g. ``Radon.fbp``) are forwarded uncounted.
    """

    def __new__(cls, op: Operator, cost: Cost | None = None) -> CountingOperator:
        if cls is CountingOperator and isinstance(op, LinearOperator):
            cls = CountingLinearOperator
        return super().__new__(cls)

    def __init__(self, op: Operator, cost: Cost | None = None) -> None:
        if not isinstance(op, Operator):
            raise ValueError(f"CountingOperator wraps an Operator, got {type(op).__name__}")
        super().__init__(op.in_shape, op.out_shape)
        self.op = op
        self.cost = cost if cost is not None else Cost()
        self.differentiable = op.differentiable
        self.has_svd = op.has_svd

    def forward(self, x: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.forward(x)

    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        self.cost.vjp += 1
        return self.op.vjp(x, v)

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        self.cost.jvp += 1
        return self.op.jvp(x, u)

    def __getattr__(self, name: str) -> Any:
        if name == "op" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.op, name)

    def __repr__(self) -> str:
        return f"CountingOperator({self.op!r})"


class CountingLinearOperator(CountingOperator, LinearOperator):
    """:class:`CountingOperator` around a linear operator."""

    op: LinearOperator

    def adjoint(self, y: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.adjoint(y)

    def singular_values(self) -> Tensor:
        return self.op.singular_values()

    def v_t(self, x: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.v_t(x)

    def v(self, c: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.v(c)

    def u_t(self, y: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.u_t(y)

    def u(self, c: Tensor) -> Tensor:
        self.cost.operator_calls += 1
        return self.op.u(c)
