"""Observation masks over (channels, time) windows, and the CSDI context built from them.

True marks an observed (conditioning) entry. Builders make the masks of the tasks (forecasting from the first
steps, random and block gaps, sparse sensors every k steps); :class:`MaskSampler` draws them at random for
training a conditional model, as CSDI does with its random, historical and forecast strategies: Tashiro et al.,
"CSDI: Conditional Score-based Diffusion Models for Probabilistic Time Series Imputation" (2021, arXiv:2107.03502).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

STRATEGIES = ("random", "block", "forecast", "history", "sparse")


def _check_shape(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"masks are built for (channels, time) windows, got shape {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def forecast_mask(shape: Sequence[int], context: int) -> Tensor:
    """Observe the first ``context`` steps of every channel: the forecasting task."""
    c, l = _check_shape(shape)
    if not 1 <= context < l:
        raise ValueError(f"a context of {context} steps does not fit a window of {l} steps (need 1 <= context < {l})")
    return (torch.arange(l) < context).expand(c, l).clone()


def random_mask(shape: Sequence[int], missing: float, generator: torch.Generator) -> Tensor:
    """Hide each entry independently with probability ``missing`` (imputation of random gaps)."""
    if not 0.0 <= missing <= 1.0:
        raise ValueError(f"the missing fraction must be in [0, 1], got {missing}")
    return torch.rand(_check_shape(shape), generator=generator, dtype=torch.float64) >= missing


def history_mask(shape: Sequence[int], history: int, missing: float, generator: torch.Generator) -> Tensor:
    """Observe the first ``history`` steps, then hide each later entry with probability ``missing``: imputation
    of the present given an observed past (``history`` = 0 is :func:`random_mask`)."""
    c, l = _check_shape(shape)
    if not 0 <= history < l:
        raise ValueError(f"a history of {history} steps does not fit a window of {l} steps (need 0 <= history < {l})")
    mask = random_mask((c, l), missing, generator)
    mask[:, :history] = True
    return mask


def block_mask(shape: Sequence[int], start: int, length: int, channels: Sequence[int] | None = None) -> Tensor:
    """Hide steps start, ..., start + length - 1 of ``channels`` (all by default): a block gap."""
    c, l = _check_shape(shape)
    if length < 1 or start < 0 or start + length > l:
        raise ValueError(f"a gap of {length} steps from step {start} does not fit a window of {l} steps")
    mask = torch.ones(c, l, dtype=torch.bool)
    rows = torch.arange(c) if channels is None else _channels(channels, c)
    mask[rows[:, None], torch.arange(start, start + length)[None]] = False
    return mask


def sparse_mask(shape: Sequence[int], every: int, phase: int = 0, channels: Sequence[int] | None = None) -> Tensor:
    """Observe ``channels`` (all by default) at steps phase, phase + every, ...: sparse sensors in time."""
    c, l = _check_shape(shape)
    if every < 1 or not 0 <= phase < every:
        raise ValueError(f"need every >= 1 and 0 <= phase < every, got every={every} and phase={phase}")
    mask = torch.zeros(c, l, dtype=torch.bool)
    rows = torch.arange(c) if channels is None else _channels(channels, c)
    mask[rows[:, None], torch.arange(phase, l, every)[None]] = True
    return mask


def _channels(channels: Sequence[int], c: int) -> Tensor:
    rows = torch.as_tensor(list(channels), dtype=torch.long)
    if rows.numel() == 0 or rows.min() < 0 or rows.max() >= c:
        raise ValueError(f"channels {list(channels)} are outside the window's {c} channels")
    return rows


@dataclass(frozen=True)
class MaskSampler:
    """Draws conditioning masks for training: a strategy by ``strategies`` weights, then its parameters.

    random: hide a fraction r ~ U(0, 1) of the entries; history: observe the first ``context`` steps (or
    k ~ U{1, ..., L - 1}) and hide a fraction r ~ U(0, 1) of the rest; block: hide one gap of 1 to ``max_block`` L
    steps, in all channels or (with probability 1/2) a random subset of them; forecast: observe the first
    ``context`` steps (or k ~ U{1, ..., L - 1}); sparse: observe ``channels`` every e steps, e drawn from ``every``, with a random phase.
    The mask is always intersected with the entries actually observed in the data.
    """

    strategies: Mapping[str, float] = field(default_factory=lambda: {"random": 1.0, "block": 1.0, "forecast": 1.0})
    context: int | None = None
    max_block: float = 0.5
    every: Sequence[int] = (1,)
    channels: Sequence[int] | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.strategies) - set(STRATEGIES))
        if unknown:
            raise ValueError(f"unknown mask strategies {unknown}; choose from {list(STRATEGIES)}")
        weights = list(self.strategies.values())
        if not weights or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f"mask strategy weights must be non-negative and not all zero, got {dict(self.strategies)}"
            )
        if not 0 < self.max_block <= 1:
            raise ValueError(f"max_block is a fraction of the window in (0, 1], got {self.max_block}")
        if not self.every or min(self.every) < 1:
            raise ValueError(f"every must list intervals >= 1, got {list(self.every)}")

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> MaskSampler:
        """From the adapter's plain ``masks`` option: strategies (a list or weights), context, max_block, ..."""
        opts = dict(options or {})
        strategies = opts.pop("strategies", None)
        if isinstance(strategies, str):
            strategies = [strategies]
        if isinstance(strategies, Sequence):
            strategies = {s: 1.0 for s in strategies}
        unknown = sorted(set(opts) - {"context", "max_block", "every", "channels"})
        if unknown:
            raise ValueError(f"unknown masks options {unknown}; use strategies, context, max_block, every, channels")
        if strategies is not None:
            opts["strategies"] = dict(strategies)
        if "every" in opts:
            opts["every"] = tuple(opts["every"]) if isinstance(opts["every"], Sequence) else (int(opts["every"]),)
        return cls(**opts)

    def draw(self, shape: Sequence[int], generator: torch.Generator) -> Tensor:
        """One conditioning mask for a (C, L) window."""
        c, l = _check_shape(shape)
        names = list(self.strategies)
        weights = torch.tensor([float(self.strategies[n]) for n in names], dtype=torch.float64)
        name = names[int(torch.multinomial(weights, 1, generator=generator))]

        def uniform(lo: int, hi: int) -> int:  # an integer in [lo, hi]
            return int(torch.randint(lo, hi + 1, (1,), generator=generator))

        if name == "random":
            return random_mask((c, l), float(torch.rand((), generator=generator, dtype=torch.float64)), generator)
        if name == "block":
            length = uniform(1, max(1, int(self.max_block * l)))
            start = uniform(0, l - length)
            subset = None
            if c > 1 and bool(torch.rand((), generator=generator) < 0.5):
                chosen = torch.rand(c, generator=generator) < 0.5
                subset = chosen.nonzero().flatten().tolist() or [uniform(0, c - 1)]
            return block_mask((c, l), start, length, subset)
        if name in ("forecast", "history"):
            if l < 2:
                raise ValueError(f"{name} masks need windows of at least 2 steps, got {l}")
            k = self.context if self.context is not None else uniform(1, l - 1)
            if name == "forecast":
                return forecast_mask((c, l), k)
            return history_mask((c, l), k, float(torch.rand((), generator=generator, dtype=torch.float64)), generator)
        every = int(self.every[uniform(0, len(self.every) - 1)])
        return sparse_mask((c, l), every, uniform(0, every - 1), self.channels)


def csdi_context(x: Tensor, mask: Tensor, noise: Tensor | None = None, covariates: Tensor | None = None) -> Tensor:
    """The conditioning input [mask * (x + noise), mask, covariates]: (*, 2 C + F, L) from x and mask (*, C, L).

    ``noise`` (broadcastable to x) perturbs the observed values, for training on noisy observations; covariates
    (*, F, L) are per-time features such as calendar terms.
    """
    m = mask.to(x.dtype)
    values = x if noise is None else x + noise
    parts = [torch.where(mask, values, torch.zeros_like(values)), m]
    if covariates is not None:
        parts.append(covariates.to(x.dtype))
    return torch.cat(parts, dim=-2)
