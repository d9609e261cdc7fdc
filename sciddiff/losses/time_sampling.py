"""Training-time samplers on [t_min, t_max], each with its density (for unbiased ELBO weighting)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.processes import Process
from sciddiff.state import NoiseSource

_F64 = torch.float64


def _std_normal_log_pdf(z: Tensor) -> Tensor:
    return -0.5 * z**2 - 0.5 * math.log(2 * math.pi)


class TimeSampler(ABC):
    """Draws per-sample training times and evaluates their log-density in t."""

    @abstractmethod
    def sample(self, process: Process, n: int, noise: NoiseSource) -> Tensor:
        """n times in [t_min, t_max], float64."""

    @abstractmethod
    def log_density(self, process: Process, t: Tensor) -> Tensor:
        """log p(t) for the sampled times, float64."""


@dataclass(frozen=True)
class UniformTime(TimeSampler):
    """t ~ U(t_min, t_max). Ho et al. (2020), arXiv:2006.11239."""

    def sample(self, process: Process, n: int, noise: NoiseSource) -> Tensor:
        u = torch.special.ndtr(noise.randn((), _F64))
        return process.t_min + (process.t_max - process.t_min) * u

    def log_density(self, process: Process, t: Tensor) -> Tensor:
        return torch.full_like(t, -math.log(process.t_max - process.t_min))


@dataclass(frozen=True)
class LogNormalSigma(TimeSampler):
    """log(sigma/alpha) ~ N(p_mean, p_std^2), truncated to the process' range. EDM's defaults -1.2 and 1.2.

    Karras et al. (2022), arXiv:2206.00364.
    """

    p_mean: float = -1.2
    p_std: float = 1.2

    def _bounds(self, process: Process) -> tuple[float, float]:
        lam = process.log_snr(torch.tensor([process.t_min, process.t_max], dtype=_F64))
        log_s = -0.5 * lam  # log(sigma/alpha) at t_min, t_max
        return float((log_s[0] - self.p_mean) / self.p_std), float((log_s[1] - self.p_mean) / self.p_std)

    def sample(self, process: Process, n: int, noise: NoiseSource) -> Tensor:
        lo, hi = (torch.special.ndtr(torch.tensor(b, dtype=_F64)) for b in self._bounds(process))
        u = lo + (hi - lo) * torch.special.ndtr(noise.randn((), _F64))
        log_s = self.p_mean + self.p_std * torch.special.ndtri(u.clamp(1e-300, 1 - 1e-16))
        return process.t_of_noise_ratio(torch.exp(log_s)).clamp(process.t_min, process.t_max)

    def log_density(self, process: Process, t: Tensor) -> Tensor:
        lo, hi = self._bounds(process)
        mass = float(
            torch.special.ndtr(torch.tensor(hi, dtype=_F64)) - torch.special.ndtr(torch.tensor(lo, dtype=_F64))
        )
        t = t.to(_F64)
        log_s = -0.5 * process.log_snr(t)
        dlog_s_dt = _dlog_s_dt(process, t)
        z = (log_s - self.p_mean) / self.p_std
        return _std_normal_log_pdf(z) - math.log(self.p_std) - math.log(mass) + torch.log(dlog_s_dt.abs())


@dataclass(frozen=True)
class LogitNormal(TimeSampler):
    """(t - t_min)/(t_max - t_min) = sigmoid(m + s n), n ~ N(0, 1). Esser et al., "Scaling Rectified Flow
    Transformers for High-Resolution Image Synthesis" (2024), arXiv:2403.03206."""

    m: float = 0.0
    s: float = 1.0

    def sample(self, process: Process, n: int, noise: NoiseSource) -> Tensor:
        u = torch.sigmoid(self.m + self.s * noise.randn((), _F64))
        return process.t_min + (process.t_max - process.t_min) * u

    def log_density(self, process: Process, t: Tensor) -> Tensor:
        width = process.t_max - process.t_min
        u = ((t.to(_F64) - process.t_min) / width).clamp(1e-15, 1 - 1e-15)
        z = (torch.log(u) - torch.log1p(-u) - self.m) / self.s
        return _std_normal_log_pdf(z) - math.log(self.s) - torch.log(u) - torch.log1p(-u) - math.log(width)


def _dlog_s_dt(process: Process, t: Tensor) -> Tensor:
    """d log(sigma/alpha) / dt."""
    alpha, sigma = process.alpha_sigma(t)
    da, ds = process.derivatives(t)
    return ds / sigma - da / alpha


TIME_SAMPLERS: dict[str, type[TimeSampler]] = {
    "uniform": UniformTime,
    "lognormal": LogNormalSigma,
    "logit_normal": LogitNormal,
}
