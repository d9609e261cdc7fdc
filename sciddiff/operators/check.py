"""check_operator: numerical tests for any operator (shapes, adjointness, SVD, pseudo-inverse, VJP/JVP)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, Operator, fmt_shape
from sciddiff.state import NoiseSource


@dataclass
class CheckReport:
    """Worst relative errors over the trials (None when a test does not apply), the failure messages, and
    ``passed``: True when every applicable error is <= rtol."""

    operator: str
    rtol: float
    shape_ok: bool = True
    adjoint_error: float | None = None
    svd_error: float | None = None
    orthogonality_error: float | None = None
    pinv_error: float | None = None
    derivative_error: float | None = None
    messages: list[str] = field(default_factory=list)
    passed: bool = True

    def __str__(self) -> str:
        status = "passed" if self.passed else "FAILED: " + "; ".join(self.messages)
        return f"check_operator({self.operator}): {status}"


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).reshape(a.shape[0], -1).sum(1)


def _norm(a: Tensor) -> Tensor:
    return a.reshape(a.shape[0], -1).norm(dim=1)


def _rel(err: Tensor, scale: Tensor) -> float:
    return float((err / scale.clamp_min(torch.finfo(scale.dtype).tiny)).max())


def check_operator(
    op: Operator,
    n_trials: int = 3,
    rtol: float = 1e-5,
    generator: object = None,
    raise_on_failure: bool = False,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> CheckReport:
    """Test ``op`` on ``n_trials`` random inputs (a batch), in ``dtype``.

    - shape: forward returns (B, *out_shape);
    - linear: adjointness |<A x, y> - <x, A^T y>| / (|A x| |y|) (and A^T y's shape);
    - has_svd: |u(s * v_t(x)) - A x| / |A x|, orthogonality |v(v_t(x)) - x| / |x| and |u(u_t(y)) - y| / |y|, and
      the Penrose condition |A A^+ A x - A x| / |A x|;
    - nonlinear and differentiable: <v, J u> = <J^T v, u> (VJP/JVP consistency).
    """
    report = CheckReport(repr(op), rtol)
    noise = NoiseSource.of(generator, n_trials, device)
    x = noise.randn(op.in_shape, dtype)
    y = op.forward(x)
    if tuple(y.shape) != (n_trials, *op.out_shape):
        report.shape_ok = False
        report.messages.append(
            f"forward returned {fmt_shape(y.shape)} for a batch of {n_trials}; expected "
            f"{fmt_shape((n_trials, *op.out_shape))}"
        )
    elif isinstance(op, LinearOperator):
        _check_linear(op, x, y, noise.randn(op.out_shape, dtype), report)
    elif op.differentiable:
        _check_derivatives(op, x, noise.randn(op.in_shape, dtype), noise.randn(op.out_shape, dtype), report)
    report.passed = not report.messages
    if raise_on_failure and not report.passed:
        raise ValueError(str(report))
    return report


def _check_linear(op: LinearOperator, x: Tensor, ax: Tensor, w: Tensor, report: CheckReport) -> None:
    atw = op.adjoint(w)
    if tuple(atw.shape) != tuple(x.shape):
        report.messages.append(f"adjoint returned {fmt_shape(atw.shape)}; expected {fmt_shape(x.shape)}")
        return
    scale = torch.maximum(_norm(ax) * _norm(w), _norm(x) * _norm(atw))
    report.adjoint_error = _rel((_dot(ax, w) - _dot(x, atw)).abs(), scale)
    if report.adjoint_error > report.rtol:
        report.messages.append(f"adjoint test <Ax, y> = <x, A^T y> off by {report.adjoint_error:.3g} (relative)")
    if not op.has_svd:
        return
    report.svd_error = _rel(_norm(op.svd_forward(x) - ax), _norm(ax))
    if report.svd_error > report.rtol:
        report.messages.append(f"SVD reconstruction u(s * v_t(x)) differs from A x by {report.svd_error:.3g}")
    report.orthogonality_error = max(
        _rel(_norm(op.v(op.v_t(x)) - x), _norm(x)), _rel(_norm(op.u(op.u_t(w)) - w), _norm(w))
    )
    if report.orthogonality_error > report.rtol:
        report.messages.append(
            f"U or V is not orthogonal: v(v_t(x)) or u(u_t(y)) off by {report.orthogonality_error:.3g}"
        )
    report.pinv_error = _rel(_norm(op.forward(op.pinv(ax)) - ax), _norm(ax))
    if report.pinv_error > report.rtol:
        report.messages.append(f"Penrose condition A A^+ A x = A x off by {report.pinv_error:.3g}")


def _check_derivatives(op: Operator, x: Tensor, u: Tensor, v: Tensor, report: CheckReport) -> None:
    try:
        ju, jtv = op.jvp(x, u), op.vjp(x, v)
    except Exception as err:  # a user operator that claims derivatives it cannot give
        report.messages.append(f"VJP/JVP failed: {type(err).__name__}: {err}")
        return
    scale = torch.maximum(_norm(ju) * _norm(v), _norm(jtv) * _norm(u))
    report.derivative_error = _rel((_dot(ju, v) - _dot(jtv, u)).abs(), scale)
    if report.derivative_error > report.rtol:
        report.messages.append(f"VJP and JVP disagree: <v, J u> vs <J^T v, u> off by {report.derivative_error:.3g}")
