"""Poisson (photon-counting) noise: y = Poisson(scale * mean) / scale."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.noise.base import NoiseModel, batched_observation
from sciddiff.state import derive_seed


def _generators(generator: object, batch: int) -> list[torch.Generator | None]:
    """One generator per sample, matching :class:`NoiseSource`: an int seed gives sample i derive_seed(seed, i)."""
    if generator is None or isinstance(generator, torch.Generator):
        return [generator] * batch  # type: ignore[list-item]
    if isinstance(generator, int):
        return [torch.Generator().manual_seed(derive_seed(generator, i)) for i in range(batch)]
    if isinstance(generator, Sequence) and not isinstance(generator, str):
        if len(generator) != batch:
            raise ValueError(f"got {len(generator)} per-sample generators for a batch of {batch}")
        return [g if isinstance(g, torch.Generator) else torch.Generator().manual_seed(int(g)) for g in generator]
    raise ValueError(f"generator must be None, an int seed, a torch.Generator or a sequence; got {generator!r}")


class Poisson(NoiseModel):
    """Counts k ~ Poisson(scale * mean) per entry, reported as y = k / scale (so E[y] = mean, Var[y] = mean / scale).

    ``scale`` is the number of counts per unit of the mean (photons per unit intensity): larger is less noisy.
    log p(y | mean) = sum k log(lam) - lam - log k!, lam = scale * mean, k = scale * y (the pmf of the counts;
    for non-integer k it is the usual continuous extension with log Gamma(k + 1)). The mean must be >= 0.
    """

    kind = "poisson"

    def __init__(self, scale: float = 1.0) -> None:
        if not scale > 0 or scale == float("inf"):
            raise ValueError(f"Poisson scale must be a positive finite number, got {scale}")
        self.scale = float(scale)

    def _rate(self, mean: Tensor) -> Tensor:
        if bool((mean < 0).any()) or bool(torch.isnan(mean).any()):
            bad = mean[(mean < 0) | torch.isnan(mean)]
            raise ValueError(
                f"Poisson noise needs a mean >= 0; got {bad.numel()} invalid entries, e.g. {bad[0].item():.4g}"
            )
        return self.scale * mean

    def sample(self, mean: Tensor, generator: object = None) -> Tensor:
        rate = self._rate(mean)
        gens = _generators(generator, mean.shape[0])
        if all(g is gens[0] for g in gens):
            counts = torch.poisson(rate, generator=gens[0])
        else:
            counts = torch.stack([torch.poisson(rate[i], generator=g) for i, g in enumerate(gens)])
        return counts / self.scale

    def log_likelihood(self, y: Tensor, mean: Tensor) -> Tensor:
        lam = self._rate(mean)
        k = batched_observation(y, mean) * self.scale
        logp = torch.xlogy(k, lam) - lam - torch.lgamma(k + 1)
        return logp.reshape(mean.shape[0], -1).sum(1)

    def variance(self, mean: Tensor) -> Tensor:
        """Var[y | mean] = mean / scale (for Gaussian approximations)."""
        return self._rate(mean) / self.scale**2

    def __repr__(self) -> str:
        return f"Poisson(scale={self.scale:g})"
