"""Composition of operators: (A @ B)(x) = A(B(x)); chain rule for VJP/JVP, adjoint B^T A^T when both are linear."""

from __future__ import annotations

from torch import Tensor

from sciddiff.operators.base import LinearOperator, Operator, fmt_shape


class Composed(Operator):
    """x -> outer(inner(x)). VJP: inner.vjp(x, outer.vjp(inner(x), v)); JVP: outer.jvp(inner(x), inner.jvp(x, u))."""

    def __init__(self, outer: Operator, inner: Operator) -> None:
        if not isinstance(outer, Operator) or not isinstance(inner, Operator):
            raise ValueError(f"can only compose operators, got {type(outer).__name__} @ {type(inner).__name__}")
        if outer.in_shape != inner.out_shape:
            raise ValueError(
                f"cannot compose {outer!r} @ {inner!r}: {outer!r} takes {fmt_shape(outer.in_shape)} "
                f"but {inner!r} returns {fmt_shape(inner.out_shape)}"
            )
        super().__init__(inner.in_shape, outer.out_shape)
        self.outer, self.inner = outer, inner
        self.differentiable = outer.differentiable and inner.differentiable

    def forward(self, x: Tensor) -> Tensor:
        return self.outer(self.inner(x))

    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        self._require_derivatives("a VJP")
        return self.inner.vjp(x, self.outer.vjp(self.inner(x), v))

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        self._require_derivatives("a JVP")
        return self.outer.jvp(self.inner(x), self.inner.jvp(x, u))

    def __repr__(self) -> str:
        return f"{self.outer!r} @ {self.inner!r}"


class LinearComposed(LinearOperator, Composed):
    """The composition of two linear operators: adjoint (A B)^T = B^T A^T."""

    def adjoint(self, y: Tensor) -> Tensor:
        return self.inner.adjoint(self.outer.adjoint(y))


def compose(outer: Operator, inner: Operator) -> Composed:
    """``outer @ inner``: a :class:`LinearComposed` when both are linear, else a :class:`Composed`."""
    linear = isinstance(outer, LinearOperator) and isinstance(inner, LinearOperator)
    return (LinearComposed if linear else Composed)(outer, inner)
