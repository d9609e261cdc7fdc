"""Keep schedules alpha(t) of categorical processes: the probability that a token is still its clean value.

alpha decreases strictly from alpha(t_min) (1 for the built-in schedules, so sampling ends on clean data) to
alpha(t_max) (0, so the prior is exactly the stationary distribution). Everything is float64. Shi et al.,
"Simplified and Generalized Masked Diffusion for Discrete Data" (2024), arXiv:2406.04329, Table 1.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.processes.base import Process

_F64 = torch.float64


class KeepSchedule(ABC):
    """alpha(t) on [t_min, t_max], its derivative and its inverse."""

    name: str = "schedule"
    t_min: float = 0.0
    t_max: float = 1.0

    @abstractmethod
    def alpha(self, t: Tensor) -> Tensor:
        """alpha(t), float64."""

    def dalpha(self, t: Tensor) -> Tensor:
        """d alpha / dt, by autograd unless a subclass knows it in closed form."""
        with torch.enable_grad():
            tt = t.detach().to(_F64).requires_grad_(True)
            (g,) = torch.autograd.grad(self.alpha(tt).sum(), tt)
        return g

    def t_of_alpha(self, a: Tensor) -> Tensor:
        """The time at which alpha equals ``a``, by bisection (subclasses override with closed forms)."""
        a = a.to(_F64)
        lo, hi = torch.full_like(a, self.t_min), torch.full_like(a, self.t_max)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            above = self.alpha(mid) > a  # alpha decreases, so the root lies above mid
            lo, hi = torch.where(above, mid, lo), torch.where(above, hi, mid)
        return 0.5 * (lo + hi)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(t_min={self.t_min:g}, t_max={self.t_max:g})"


class LinearSchedule(KeepSchedule):
    """alpha(t) = 1 - t on [0, 1]. Austin et al., "Structured Denoising Diffusion Models in Discrete State-Spaces"
    (2021), arXiv:2107.03006; MD4's linear schedule."""

    name = "linear"

    def alpha(self, t: Tensor) -> Tensor:
        return 1.0 - t.to(_F64)

    def dalpha(self, t: Tensor) -> Tensor:
        return -torch.ones_like(t, dtype=_F64)

    def t_of_alpha(self, a: Tensor) -> Tensor:
        return 1.0 - a.to(_F64)


class CosineSchedule(KeepSchedule):
    """alpha(t) = 1 - cos(pi/2 (1 - t)) = 1 - sin(pi t / 2) on [0, 1] (MD4's cosine schedule, arXiv:2406.04329);
    the sine form is exactly 1 at t = 0 and 0 at t = 1."""

    name = "cosine"

    def alpha(self, t: Tensor) -> Tensor:
        return 1.0 - torch.sin(0.5 * math.pi * t.to(_F64))

    def dalpha(self, t: Tensor) -> Tensor:
        return -0.5 * math.pi * torch.cos(0.5 * math.pi * t.to(_F64))

    def t_of_alpha(self, a: Tensor) -> Tensor:
        return torch.asin((1.0 - a.to(_F64)).clamp(0.0, 1.0)) / (0.5 * math.pi)


class PolynomialSchedule(KeepSchedule):
    """alpha(t) = 1 - t^w on [0, 1], w > 0 (MD4's polynomial schedule, arXiv:2406.04329)."""

    name = "polynomial"

    def __init__(self, w: float = 2.0) -> None:
        if not w > 0:
            raise ValueError(f"the polynomial schedule needs w > 0, got {w}")
        self.w = float(w)

    def alpha(self, t: Tensor) -> Tensor:
        return 1.0 - t.to(_F64) ** self.w

    def dalpha(self, t: Tensor) -> Tensor:
        return -self.w * t.to(_F64) ** (self.w - 1.0)

    def t_of_alpha(self, a: Tensor) -> Tensor:
        return (1.0 - a.to(_F64)).clamp_min(0.0) ** (1.0 / self.w)


class LogSNRSchedule(KeepSchedule):
    """alpha(t) = sigmoid(log-SNR(t) + shift) of a Gaussian process, on that process' [t_min, t_max].

    For a variance-preserving process with shift 0 this is alpha_gauss(t)^2, the fraction of signal, so a
    categorical leaf is corrupted at the same rate as the continuous leaves; a positive shift keeps tokens clean
    for longer ("coordinates and atom types may diffuse at different rates"). Use it to pair categorical leaves
    with processes whose time is not in [0, 1] (e.g. EDM, where t is sigma). alpha(t_min) < 1 and alpha(t_max) > 0
    here: samplers end with one draw from the predicted clean distribution, and the prior at t_max is the
    stationary distribution up to the small alpha(t_max).
    """

    name = "log_snr"

    def __init__(self, process: Process, shift: float = 0.0) -> None:
        self.process, self.shift = process, float(shift)
        self.t_min, self.t_max = process.t_min, process.t_max

    def alpha(self, t: Tensor) -> Tensor:
        return torch.sigmoid(self.process.log_snr(t.to(_F64)) + self.shift)

    def t_of_alpha(self, a: Tensor) -> Tensor:
        a = a.to(_F64)
        t = self.process.t_of_log_snr(torch.log(a) - torch.log1p(-a) - self.shift)
        return t.clamp(self.t_min, self.t_max)

    def __repr__(self) -> str:
        return f"LogSNRSchedule({self.process!r}, shift={self.shift:g})"


SCHEDULES: dict[str, type[KeepSchedule]] = {
    "linear": LinearSchedule,
    "cosine": CosineSchedule,
    "polynomial": PolynomialSchedule,
}


def get_schedule(schedule: str | KeepSchedule | Mapping[str, Any]) -> KeepSchedule:
    """A schedule from a name ("linear", "cosine", "polynomial"), a record ``{"name": ..., **kwargs}`` or an
    instance (returned as is)."""
    if isinstance(schedule, KeepSchedule):
        return schedule
    if isinstance(schedule, Mapping):
        kwargs = {k: v for k, v in schedule.items() if k != "name"}
        name = schedule.get("name")
    else:
        name, kwargs = schedule, {}
    if name not in SCHEDULES:
        raise ValueError(f"unknown keep schedule {name!r}; choose one of {sorted(SCHEDULES)} or pass a KeepSchedule")
    try:
        return SCHEDULES[name](**kwargs)
    except TypeError as err:
        raise ValueError(f"bad arguments {kwargs} for keep schedule {name!r}: {err}") from None
