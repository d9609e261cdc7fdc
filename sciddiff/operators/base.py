"""The operator contract: y = A(x) on batches x of shape (B, *in_shape) -> y of shape (B, *out_shape).

An operator declares its shapes and what it offers: forward, VJP/JVP (``differentiable``), an exact adjoint
(``linear``), an exact SVD (``has_svd``), or forward evaluations only (black box). Linear operators follow the
SVD convention of DDRM: A = U diag(s) V^T in flat coordinates, with U and V square orthogonal. Kawar et al.,
"Denoising Diffusion Restoration Models" (2022), arXiv:2201.11793.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from sciddiff.operators.dense_svd import DenseSVD


def as_shape(shape: Sequence[int] | int | torch.Size, what: str = "shape") -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape)."""
    out = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise ValueError(f"{what} must have non-negative sizes, got {out}")
    return out


def fmt_shape(shape: Sequence[int], batch: bool = False) -> str:
    """``(30, 95)``, or ``(B, 30, 95)`` with ``batch=True``."""
    parts = (["B"] if batch else []) + [str(int(s)) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


class Operator(ABC):
    """A forward operator on batches. Subclasses set the shapes (via ``__init__``) and implement ``forward``.

    Class flags: ``linear`` (exact adjoint), ``differentiable`` (VJP/JVP via autograd are valid) and
    ``has_svd`` (exact SVD). Call an operator as ``op(x)`` to get shape checks around ``forward``.
    """

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    linear: bool = False
    differentiable: bool = True
    has_svd: bool = False

    def __init__(self, in_shape: Sequence[int] | int, out_shape: Sequence[int] | int) -> None:
        self.in_shape = as_shape(in_shape, "in_shape")
        self.out_shape = as_shape(out_shape, "out_shape")

    # ------------------------------------------------------------------ the map
    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:
        """A(x) for x of shape (B, *in_shape), without shape checks."""

    def __call__(self, x: Tensor) -> Tensor:
        self.check_input(x)
        y = self.forward(x)
        if tuple(y.shape) != (x.shape[0], *self.out_shape):
            raise ValueError(
                f"operator {self!r} returned shape {fmt_shape(y.shape)} for a batch of {x.shape[0]}; "
                f"it declares out_shape {fmt_shape(self.out_shape)}"
            )
        return y

    # ------------------------------------------------------------------ derivatives
    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        """v^T (dA/dx) at x, shape (B, *in_shape); by autograd (``torch.func.vjp``)."""
        self._require_derivatives("a VJP")
        self.check_input(x)
        self.check_output(v, "v")
        _, pullback = torch.func.vjp(self.forward, x)
        return pullback(v)[0]

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        """(dA/dx) u at x, shape (B, *out_shape); by forward-mode autograd (``torch.func.jvp``)."""
        self._require_derivatives("a JVP")
        self.check_input(x)
        self.check_input(u, "u")
        return torch.func.jvp(self.forward, (x,), (u,))[1]

    def _require_derivatives(self, what: str) -> None:
        if not self.differentiable:
            raise ValueError(
                f"operator {self!r} is forward-only (black box): it offers no derivatives, so {what} is "
                "unavailable; use a derivative-free method (e.g. an ensemble Kalman method) or wrap a torch "
                "callable in Differentiable"
            )

    # ------------------------------------------------------------------ shapes
    @property
    def in_dim(self) -> int:
        return math.prod(self.in_shape)

    @property
    def out_dim(self) -> int:
        return math.prod(self.out_shape)

    @property
    def features(self) -> frozenset[str]:
        """What the operator offers, from {"forward", "vjp", "jvp", "adjoint", "pinv", "svd"}."""
        out = {"forward"}
        if self.differentiable:
            out |= {"vjp", "jvp"}
        if self.linear:
            out |= {"adjoint", "pinv"}
        if self.has_svd:
            out.add("svd")
        return frozenset(out)

    def check_input(self, x: Tensor, name: str = "x") -> None:
        """Raise unless ``x`` has shape (B, *in_shape)."""
        if tuple(x.shape[1:]) != self.in_shape or x.dim() != len(self.in_shape) + 1:
            raise ValueError(
                f"{name} has shape {fmt_shape(x.shape)}; operator {self!r} expects {fmt_shape(self.in_shape, True)}"
            )

    def check_output(self, y: Tensor, name: str = "y") -> None:
        """Raise unless ``y`` has shape (B, *out_shape)."""
        if tuple(y.shape[1:]) != self.out_shape or y.dim() != len(self.out_shape) + 1:
            raise ValueError(
                f"{name} has shape {fmt_shape(y.shape)}; operator {self!r} expects {fmt_shape(self.out_shape, True)}"
            )

    def check_observation(self, y: Tensor) -> None:
        """Raise unless the observation ``y`` has shape out_shape (one observation) or (B, *out_shape)."""
        shape = tuple(y.shape)
        if shape != self.out_shape and shape[1:] != self.out_shape:
            raise ValueError(
                f"y has shape {fmt_shape(shape)}; operator {self!r} expects {fmt_shape(self.out_shape)} "
                f"or {fmt_shape(self.out_shape, True)}"
            )

    # ------------------------------------------------------------------ composition and printing
    def __matmul__(self, other: Operator) -> Operator:
        """The composition x -> self(other(x)); linear (with adjoint B^T A^T) when both are."""
        from sciddiff.operators.compose import compose

        return compose(self, other)

    def _repr_args(self) -> str:
        return f"in_shape={self.in_shape}, out_shape={self.out_shape}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._repr_args()})"


class LinearOperator(Operator):
    """A linear operator with an exact adjoint; optionally an exact SVD A = U diag(s) V^T in flat coordinates.

    SVD convention (``has_svd``): ``v_t(x)`` gives the in_dim coefficients V^T x, ``u_t(y)`` the out_dim
    coefficients U^T y, and the first r = min(in_dim, out_dim) coefficients carry ``singular_values()``, so that
    ``forward(x) == u(pad(s * v_t(x)[:, :r]))``. Singular values need not be sorted and may be zero.
    """

    linear = True

    @abstractmethod
    def adjoint(self, y: Tensor) -> Tensor:
        """A^T y for y of shape (B, *out_shape), returning (B, *in_shape)."""

    def vjp(self, x: Tensor, v: Tensor) -> Tensor:
        """v^T A = A^T v (exact, independent of x)."""
        self.check_input(x)
        self.check_output(v, "v")
        return self.adjoint(v)

    def jvp(self, x: Tensor, u: Tensor) -> Tensor:
        """A u (exact, independent of x)."""
        self.check_input(x)
        self.check_input(u, "u")
        return self.forward(u)

    def normal(self, x: Tensor) -> Tensor:
        """A^T A x."""
        return self.adjoint(self.forward(x))

    # ------------------------------------------------------------------ SVD (subclasses with has_svd)
    @property
    def svd_rank(self) -> int:
        """r = min(in_dim, out_dim): the number of singular values."""
        return min(self.in_dim, self.out_dim)

    def _no_svd(self) -> ValueError:
        return ValueError(f"operator {self!r} has no exact SVD; use op.with_dense_svd() for small problems")

    def singular_values(self) -> Tensor:
        """The r = min(in_dim, out_dim) singular values (>= 0, zeros allowed), float64."""
        raise self._no_svd()

    def v_t(self, x: Tensor) -> Tensor:
        """V^T x as (B, in_dim) coefficients."""
        raise self._no_svd()

    def v(self, c: Tensor) -> Tensor:
        """V c for (B, in_dim) coefficients, shape (B, *in_shape)."""
        raise self._no_svd()

    def u_t(self, y: Tensor) -> Tensor:
        """U^T y as (B, out_dim) coefficients."""
        raise self._no_svd()

    def u(self, c: Tensor) -> Tensor:
        """U c for (B, out_dim) coefficients, shape (B, *out_shape)."""
        raise self._no_svd()

    def svd_forward(self, x: Tensor) -> Tensor:
        """A x computed through the SVD, u(pad(s * v_t(x)[:, :r])): equals ``forward`` up to rounding."""
        r = self.svd_rank
        s = self.singular_values().to(dtype=x.dtype, device=x.device)
        return self.u(pad_coefficients(s * self.v_t(x)[:, :r], self.out_dim))

    # ------------------------------------------------------------------ pseudo-inverse
    def pinv(
        self, y: Tensor, *, rtol: float | None = None, tol: float | None = None, max_iter: int | None = None
    ) -> Tensor:
        """A^+ y, the minimum-norm least-squares solution, for y of shape out_shape or (B, *out_shape).

        With an SVD it is exact: V diag(1/s for s > rtol * s_max, else 0) U^T y, with rtol defaulting to
        max(in_dim, out_dim) * eps of the dtype (as numpy.linalg.pinv). Otherwise conjugate gradients on the
        normal equations from zero (CGLS), stopping at ||A^T r|| <= tol ||A^T y|| or after ``max_iter`` steps.
        """
        self.check_observation(y)
        single = tuple(y.shape) == self.out_shape
        yb = y[None] if single else y
        if self.has_svd:
            x = self._svd_pinv(yb, rtol)
        else:
            from sciddiff.operators.cg import least_squares_cg

            x = least_squares_cg(self, yb, tol=tol, max_iter=max_iter)
        return x[0] if single else x

    def _svd_pinv(self, y: Tensor, rtol: float | None) -> Tensor:
        r = self.svd_rank
        s = self.singular_values().to(dtype=y.dtype, device=y.device)
        if rtol is None:
            rtol = max(self.in_dim, self.out_dim) * torch.finfo(y.dtype).eps
        keep = s > rtol * s.max() if r > 0 else s > 0
        inv = torch.where(keep, 1.0 / torch.where(keep, s, torch.ones_like(s)), torch.zeros_like(s))
        return self.v(pad_coefficients(inv * self.u_t(y)[:, :r], self.in_dim))

    # ------------------------------------------------------------------ dense forms
    def dense(self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> Tensor:
        """The (out_dim, in_dim) matrix, by applying ``forward`` to the identity (for small operators)."""
        n = self.in_dim
        eye = torch.eye(n, dtype=dtype, device=device).reshape(n, *self.in_shape)
        return self.forward(eye).reshape(n, self.out_dim).T.contiguous()

    def with_dense_svd(self) -> DenseSVD:
        """This operator with an exact SVD computed once from ``dense()`` (small problems only)."""
        from sciddiff.operators.dense_svd import DenseSVD

        return DenseSVD(self)


def pad_coefficients(c: Tensor, n: int) -> Tensor:
    """Zero-pad (B, r) coefficients to (B, n)."""
    if c.shape[1] == n:
        return c
    return torch.cat([c, c.new_zeros(c.shape[0], n - c.shape[1])], dim=1)
