"""Stacking operators that share an input: y = [A_1(x); ...; A_k(x)] (flattened), e.g. several instruments."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, Operator, fmt_shape


class Stacked(Operator):
    """y = concat(flatten(A_i(x))), out_shape (sum of out_dims,); VJP sums the parts, JVP concatenates them."""

    def __init__(self, ops: tuple[Operator, ...]) -> None:
        if not ops:
            raise ValueError("stack needs at least one operator")
        for op in ops:
            if not isinstance(op, Operator):
                raise ValueError(f"stack takes operators, got {type(op).__name__}")
            if op.in_shape != ops[0].in_shape:
                raise ValueError(
                    f"stacked operators must share in_shape: {ops[0]!r} takes {fmt_shape(ops[0].in_shape)}, "
                    f"{op!r} takes {fmt_shape(op.in_shape)}"
                )
        super().__init__(ops[0].in_shape, (sum(op.out_dim for op in ops),))
        self.ops = ops
        self.differentiable = all(op.differentiable for op in ops)

    def split(self, y: Tensor) -> list[Tensor]:
        """The parts of a stacked (B, out_dim) tensor, each shaped (B, *out_shape_i)."""
        parts = torch.split(y, [op.out_dim for op in self.ops], dim=1)
        return [p.reshape(y.shape[0], *op.out_shape) for p, op in zip(parts, self.ops, strict=True)]

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([op(x).reshape(x.shape[0], -1) for op in self.ops], dim=1)

    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        self._require_derivatives("a VJP")
        self.check_output(v, "v")
        return sum(op.vjp(x, p) for op, p in zip(self.ops, self.split(v), strict=True))  # type: ignore[return-value]

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        self._require_derivatives("a JVP")
        return torch.cat([op.jvp(x, u).reshape(x.shape[0], -1) for op in self.ops], dim=1)

    def __repr__(self) -> str:
        return f"stack({', '.join(repr(op) for op in self.ops)})"


class LinearStacked(LinearOperator, Stacked):
    """Stack of linear operators: adjoint sum_i A_i^T y_i."""

    def adjoint(self, y: Tensor) -> Tensor:
        return sum(op.adjoint(p) for op, p in zip(self.ops, self.split(y), strict=True))  # type: ignore[return-value]


def stack(*ops: Operator) -> Stacked:
    """Concatenate the flattened outputs of operators sharing one input; linear (with adjoint) if all are."""
    linear = bool(ops) and all(isinstance(op, LinearOperator) for op in ops)
    return (LinearStacked if linear else Stacked)(ops)
