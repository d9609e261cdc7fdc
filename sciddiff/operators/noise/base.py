"""Noise models p(y | mean): how an observation scatters around the noiseless A(x)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.state import NoiseSource


def batched_observation(y: Tensor, mean: Tensor) -> Tensor:
    """``y`` broadcast to ``mean``'s (B, *event) shape; y may be one observation (no batch axis)."""
    if y.dim() == mean.dim() - 1:
        y = y[None]
    if y.dim() != mean.dim() or tuple(y.shape[1:]) != tuple(mean.shape[1:]) or y.shape[0] not in (1, mean.shape[0]):
        raise ValueError(f"y has shape {tuple(y.shape)}; it does not match mean of shape {tuple(mean.shape)}")
    return y.expand_as(mean)


class NoiseModel(ABC):
    """An observation noise model on y of shape (B, *event). ``kind`` names its family for methods that declare
    which noise models they support: "scalar", "diagonal", "lowrank", "full", "poisson" (or a user's own)."""

    kind: str = "custom"

    @abstractmethod
    def sample(self, mean: Tensor, generator: object = None) -> Tensor:
        """A draw of y given the noiseless mean (B, *event); ``generator`` as for :class:`NoiseSource`."""

    @abstractmethod
    def log_likelihood(self, y: Tensor, mean: Tensor) -> Tensor:
        """log p(y | mean) in nats, per sample, shape (B,)."""

    def validate(self, event_shape: Sequence[int]) -> None:
        """Raise ValueError unless the model applies to observations of shape ``event_shape`` (default: any)."""
        return None


class GaussianNoiseModel(NoiseModel):
    """y = mean + n, n ~ N(0, Sigma) with Sigma = L L^T. Subclasses give Sigma r, Sigma^-1 r, L^-1 r, L e and
    log det Sigma; sampling and the log-likelihood follow:
    log p = -1/2 |L^-1 (y - mean)|^2 - 1/2 log det Sigma - d/2 log(2 pi)."""

    @abstractmethod
    def cov_matvec(self, r: Tensor) -> Tensor:
        """Sigma r for r of shape (B, *event)."""

    @abstractmethod
    def solve(self, r: Tensor) -> Tensor:
        """Sigma^-1 r."""

    @abstractmethod
    def whiten(self, r: Tensor) -> Tensor:
        """L^-1 r, so that |L^-1 r|^2 = r^T Sigma^-1 r."""

    @abstractmethod
    def unwhiten(self, e: Tensor) -> Tensor:
        """L e (maps standard normal noise to N(0, Sigma))."""

    @abstractmethod
    def logdet(self, event_shape: Sequence[int]) -> Tensor:
        """log det Sigma for observations of shape ``event_shape`` (float64 scalar)."""

    @abstractmethod
    def dense(self, event_shape: Sequence[int] | None = None) -> Tensor:
        """Sigma as a (d, d) float64 matrix over the flattened observation."""

    def sample(self, mean: Tensor, generator: object = None) -> Tensor:
        noise = NoiseSource.of(generator, mean.shape[0], mean.device).randn(tuple(mean.shape[1:]), mean.dtype)
        return mean + self.unwhiten(noise)

    def log_likelihood(self, y: Tensor, mean: Tensor) -> Tensor:
        r = batched_observation(y, mean) - mean
        white = self.whiten(r).reshape(r.shape[0], -1)
        d = white.shape[1]
        logdet = self.logdet(tuple(r.shape[1:])).to(dtype=r.dtype, device=r.device)
        return -0.5 * (white**2).sum(1) - 0.5 * logdet - 0.5 * d * math.log(2 * math.pi)


def flat_dim(event_shape: Sequence[int]) -> int:
    return math.prod(int(s) for s in event_shape)


def check_finite(t: Tensor, what: str) -> None:
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{what} has non-finite entries: {t.flatten()[~torch.isfinite(t.flatten())][:3].tolist()}")
