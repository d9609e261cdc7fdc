"""Exact conversions between the five regression targets of a denoising network.

With x_t = a x0 + s eps, a' = da/dt and s' = ds/dt:
  eps      = (x_t - a x0) / s
  v        = a eps - s x0                  (Salimans & Ho 2022, arXiv:2202.00512)
  velocity = a' x0 + s' eps                (flow matching; Lipman et al. 2022, arXiv:2210.02747)
  score    = -eps / s                      (Tweedie; Song et al. 2021, arXiv:2011.13456)
and back to x0:
  x0 = (x_t - s eps) / a = (a x_t - s v) / (a^2 + s^2) = (s' x_t - s u) / (a s' - s a') = (x_t + s^2 score) / a.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

Target = Literal["x0", "eps", "v", "velocity", "score"]
TARGETS: tuple[str, ...] = ("x0", "eps", "v", "velocity", "score")


@dataclass(frozen=True)
class Coefficients:
    """alpha, sigma and their time derivatives, each broadcastable against the state."""

    alpha: Tensor
    sigma: Tensor
    dalpha: Tensor | None = None
    dsigma: Tensor | None = None

    def derivatives(self) -> tuple[Tensor, Tensor]:
        if self.dalpha is None or self.dsigma is None:
            raise ValueError("the 'velocity' target needs d alpha/dt and d sigma/dt")
        return self.dalpha, self.dsigma


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"unknown prediction target {target!r}; choose one of {list(TARGETS)}")


def to_x0(value: Tensor, target: str, x_t: Tensor, c: Coefficients) -> Tensor:
    """E[x0 | x_t] from a prediction of ``target``."""
    check_target(target)
    a, s = c.alpha, c.sigma
    if target == "x0":
        return value
    if target == "eps":
        return (x_t - s * value) / a
    if target == "v":
        return (a * x_t - s * value) / (a**2 + s**2)
    if target == "score":
        return (x_t + s**2 * value) / a
    da, ds = c.derivatives()
    return (ds * x_t - s * value) / (a * ds - s * da)


def from_x0(x0: Tensor, target: str, x_t: Tensor, c: Coefficients) -> Tensor:
    """The prediction of ``target`` implied by x0 (and x_t)."""
    check_target(target)
    if target == "x0":
        return x0
    a, s = c.alpha, c.sigma
    eps = (x_t - a * x0) / s
    if target == "eps":
        return eps
    if target == "v":
        return a * eps - s * x0
    if target == "score":
        return -eps / s
    da, ds = c.derivatives()
    return da * x0 + ds * eps


def x0_error_scale(target: str, c: Coefficients) -> Tensor | float:
    """|d target / d x0| at fixed x_t: an x0 error delta is a target error of +- this size times delta.

    eps: a/s; v: (a^2 + s^2)/s; score: a/s^2; velocity: |a' - s' a/s|. Used to express any loss weighting as
    a weighting of the x0 error.
    """
    check_target(target)
    a, s = c.alpha, c.sigma
    if target == "x0":
        return 1.0
    if target == "eps":
        return a / s
    if target == "v":
        return (a**2 + s**2) / s
    if target == "score":
        return a / s**2
    da, ds = c.derivatives()
    return (da - ds * a / s).abs()


def target_value(target: str, x0: Tensor, eps: Tensor, c: Coefficients) -> Tensor:
    """The exact regression target for a training pair (x0, eps), without dividing by small sigma."""
    check_target(target)
    if target == "x0":
        return x0
    if target == "eps":
        return eps
    if target == "v":
        return c.alpha * eps - c.sigma * x0
    if target == "score":
        return -eps / c.sigma
    da, ds = c.derivatives()
    return da * x0 + ds * eps
