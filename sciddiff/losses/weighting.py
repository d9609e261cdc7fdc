"""Loss weightings, each a weight w(t) on the squared x0 error ||D(x_t) - x0||^2.

Any target's squared error is a multiple of the x0 error (see ``denoisers.targets.x0_error_scale``), so one
scale covers every parametrization (Kingma & Gao, "Understanding Diffusion Objectives as the ELBO with Simple
Data Augmentation", 2023, arXiv:2303.00848).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.losses.time_sampling import TimeSampler
from sciddiff.processes import Process


class Weighting(ABC):
    """w(t) on the x0 error; ``None`` means 'unit weight on the network's own output' (plain MSE)."""

    @abstractmethod
    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> Tensor | None:
        """Per-sample weight, float64, or None for the unweighted loss on the network output."""


@dataclass(frozen=True)
class Uniform(Weighting):
    """Plain mean-squared error on whatever the network predicts (DDPM's 'simple' loss for eps)."""

    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> None:
        return None


@dataclass(frozen=True)
class SNR(Weighting):
    """w = alpha^2 / sigma^2: the eps-prediction MSE. Ho et al. (2020), arXiv:2006.11239."""

    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> Tensor:
        return torch.exp(process.log_snr(t))


@dataclass(frozen=True)
class MinSNR(Weighting):
    """w = min(SNR, gamma) on the x0 error. Hang et al., "Efficient Diffusion Training via Min-SNR Weighting
    Strategy" (2023), arXiv:2303.09556; gamma = 5 by default."""

    gamma: float = 5.0

    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> Tensor:
        return torch.exp(process.log_snr(t)).clamp(max=self.gamma)


@dataclass(frozen=True)
class EDMWeighting(Weighting):
    """w = (s^2 + sd^2) / (s sd)^2 with s = sigma/alpha: unit-variance network targets. Karras et al. (2022)."""

    sigma_data: float = 0.5

    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> Tensor:
        s2 = torch.exp(-process.log_snr(t))
        return (s2 + self.sigma_data**2) / (s2 * self.sigma_data**2)


@dataclass(frozen=True)
class ELBO(Weighting):
    """w = -SNR'(t) / (2 p(t)): with a summed reduction the loss is an unbiased estimate of the diffusion term of
    the negative ELBO in nats, whatever the time sampler p(t). This is also Song et al.'s likelihood weighting
    g^2 (2021, arXiv:2101.09258). Kingma et al., "Variational Diffusion Models" (2021), arXiv:2107.00630."""

    def x0_weight(self, process: Process, t: Tensor, sampler: TimeSampler) -> Tensor:
        t = t.to(torch.float64)
        with torch.enable_grad():
            tt = t.detach().requires_grad_(True)
            (dlam,) = torch.autograd.grad(process.log_snr(tt).sum(), tt)
        snr = torch.exp(process.log_snr(t))
        return -0.5 * snr * dlam * torch.exp(-sampler.log_density(process, t))


WEIGHTINGS: dict[str, type[Weighting]] = {
    "uniform": Uniform,
    "snr": SNR,
    "min_snr": MinSNR,
    "edm": EDMWeighting,
    "elbo": ELBO,
}
