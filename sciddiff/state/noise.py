"""Reproducible noise with per-sample seeds, so that sample i never depends on the batch size."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

_MASK64 = (1 << 64) - 1


def derive_seed(seed: int, index: int) -> int:
    """Seed of sample ``index`` under base ``seed``: a SplitMix64 hash of the pair, in [0, 2^63)."""
    z = (seed * 0x9E3779B97F4A7C15 + index + 0x632BE59BD9B4E019) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) >> 1


class NoiseSource:
    """Draws (B, *shape) standard-normal, uniform or Rademacher noise.

    ``generator`` may be:
    - ``None``: the global torch RNG;
    - a ``torch.Generator``: one stream for the whole batch (not batch-size invariant);
    - an ``int`` seed: sample i uses its own stream seeded with ``derive_seed(seed, i)``;
    - a sequence of ints or generators, one per sample (use it to draw a slice of a larger batch).
    """

    def __init__(
        self,
        generator: int | torch.Generator | Sequence[int | torch.Generator] | None,
        batch_size: int,
        device: torch.device | str = "cpu",
    ) -> None:
        self.batch_size = batch_size
        self.device = torch.device(device)
        self._shared: torch.Generator | None = None
        self._per_sample: list[torch.Generator] | None = None
        if generator is None:
            return
        if isinstance(generator, torch.Generator):
            self._shared = generator
        elif isinstance(generator, int):
            self._per_sample = [self._make(derive_seed(generator, i)) for i in range(batch_size)]
        elif isinstance(generator, Sequence) and not isinstance(generator, str):
            if len(generator) != batch_size:
                raise ValueError(f"got {len(generator)} per-sample generators for a batch of {batch_size}")
            self._per_sample = [g if isinstance(g, torch.Generator) else self._make(int(g)) for g in generator]
        else:
            raise ValueError(f"generator must be None, an int seed, a torch.Generator or a sequence; got {generator!r}")

    @classmethod
    def of(cls, generator: object, batch_size: int, device: torch.device | str) -> NoiseSource:
        """Return ``generator`` if it already is a noise source, else build one."""
        if isinstance(generator, NoiseSource):
            if generator.batch_size != batch_size:
                raise ValueError(f"noise source is for {generator.batch_size} samples, batch has {batch_size}")
            return generator
        return cls(generator, batch_size, device)  # type: ignore[arg-type]

    def _make(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    def randn(self, shape: Sequence[int], dtype: torch.dtype = torch.float32) -> Tensor:
        """Standard normal noise of shape (B, *shape)."""
        full = (self.batch_size, *shape)
        if self._per_sample is None:
            return torch.randn(full, generator=self._shared, dtype=dtype, device=self.device)
        return torch.stack(
            [torch.randn(tuple(shape), generator=g, dtype=dtype, device=self.device) for g in self._per_sample]
        )

    def rand(self, shape: Sequence[int], dtype: torch.dtype = torch.float64) -> Tensor:
        """Uniform noise on [0, 1) of shape (B, *shape); float64 by default (categorical sampling needs it)."""
        full = (self.batch_size, *shape)
        if self._per_sample is None:
            return torch.rand(full, generator=self._shared, dtype=dtype, device=self.device)
        return torch.stack(
            [torch.rand(tuple(shape), generator=g, dtype=dtype, device=self.device) for g in self._per_sample]
        )

    def rademacher(self, shape: Sequence[int], dtype: torch.dtype = torch.float32) -> Tensor:
        """Random signs of shape (B, *shape)."""
        return torch.sign(self.randn(shape, dtype))
