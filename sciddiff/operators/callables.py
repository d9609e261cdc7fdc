"""Operators from user callables: forward-only black boxes and differentiable torch functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor

from sciddiff.operators.base import Operator


class _FromCallable(Operator):
    """An operator y = f(x) from a callable, with declared shapes."""

    def __init__(
        self, f: Callable[[Tensor], Tensor], in_shape: Sequence[int], out_shape: Sequence[int], name: str | None = None
    ) -> None:
        super().__init__(in_shape, out_shape)
        self.f = f
        self.name = name or getattr(f, "__name__", "f")

    def forward(self, x: Tensor) -> Tensor:
        return self.f(x)

    def _repr_args(self) -> str:
        return f"{self.name}, in_shape={self.in_shape}, out_shape={self.out_shape}"


class BlackBox(_FromCallable):
    """A forward-only operator y = f(x) (e.g. an external simulator): no VJP, no JVP, no adjoint.

    Only derivative-free methods (ensemble Kalman, SMC with forward evaluations) can use it.
    """

    differentiable = False


class Differentiable(_FromCallable):
    """A nonlinear operator y = f(x) from a differentiable torch callable; VJP/JVP by autograd (torch.func)."""
