"""Input scaling: (A D)(x) = A(d * x) for a scalar or per-entry scale d.

This is how an operator in physical units acts on a normalised state x = (raw - offset) / d: the observation
becomes y - A(offset) = A(d * x) for linear A. A scalar d keeps A's exact SVD (singular values times |d|).
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, Operator, fmt_shape


def _as_scale(scale: Tensor | float, op: Operator) -> Tensor:
    d = torch.as_tensor(scale, dtype=torch.float64)
    try:
        torch.broadcast_shapes(d.shape, op.in_shape)
    except RuntimeError:
        raise ValueError(f"scale of shape {tuple(d.shape)} does not broadcast to {fmt_shape(op.in_shape)}") from None
    if not bool(torch.isfinite(d).all()) or bool((d == 0).any()):
        raise ValueError("scale must be finite and non-zero everywhere")
    return d


class Scaled(Operator):
    """x -> op(d * x); derivatives by the chain rule through ``op``'s own."""

    def __init__(self, op: Operator, scale: Tensor | float) -> None:
        super().__init__(op.in_shape, op.out_shape)
        self.op, self.scale = op, _as_scale(scale, op)
        self.differentiable = op.differentiable

    def _d(self, x: Tensor) -> Tensor:
        return self.scale.to(dtype=x.dtype, device=x.device)

    def forward(self, x: Tensor) -> Tensor:
        return self.op.forward(self._d(x) * x)

    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        self._require_derivatives("a VJP")
        return self._d(x) * self.op.vjp(self._d(x) * x, v)

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        self._require_derivatives("a JVP")
        return self.op.jvp(self._d(x) * x, self._d(x) * u)

    def _repr_args(self) -> str:
        return f"{self.op!r}, scale={tuple(self.scale.shape) or float(self.scale)}"


class LinearScaled(LinearOperator, Scaled):
    """A D for linear A: adjoint D A^T; with a scalar d and an SVD of A, the SVD U, |d| s, sign(d) V."""

    def __init__(self, op: LinearOperator, scale: Tensor | float) -> None:
        Scaled.__init__(self, op, scale)
        self.has_svd = op.has_svd and self.scale.numel() == 1

    def adjoint(self, y: Tensor) -> Tensor:
        return self._d(y) * self.op.adjoint(y)

    def singular_values(self) -> Tensor:
        return self.op.singular_values() * self.scale.abs().reshape(())

    def v_t(self, x: Tensor) -> Tensor:
        return torch.sign(self._d(x)).reshape(()) * self.op.v_t(x)

    def v(self, c: Tensor) -> Tensor:
        return torch.sign(self._d(c)).reshape(()) * self.op.v(c)

    def u_t(self, y: Tensor) -> Tensor:
        return self.op.u_t(y)

    def u(self, c: Tensor) -> Tensor:
        return self.op.u(c)


def scaled(op: Operator, scale: Tensor | float) -> Scaled:
    """``op`` acting on ``scale * x``: a :class:`LinearScaled` for linear operators, else a :class:`Scaled`."""
    return LinearScaled(op, scale) if isinstance(op, LinearOperator) else Scaled(op, scale)
