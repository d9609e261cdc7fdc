"""Training items over windows of a split, built lazily: the state, the missing-data mask and the conditions.

Item i of a split with N windows is window i mod N; its random draws (the conditioning mask, the noise on the
observed context values, the centring jitter) come from a generator seeded by (seed, i), so an epoch is a pure
function of the seed and a resumed run sees exactly the same items. ``replicas`` > 1 lists every window that many
times, each time with other draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sciddiff.domains.timeseries.masks import MaskSampler, csdi_context
from sciddiff.domains.timeseries.normalise import Normalizer
from torch import Tensor
from torch.utils.data import Dataset

from sciddiff.state import derive_seed


@dataclass
class Windows:
    """Windows of length ``window`` of physical values (S, T, C): window j covers series ``series[j]``, steps
    ``start[j]``, ..., ``start[j] + window - 1``; ``time`` (T,) is the shared time coordinate."""

    values: np.ndarray
    time: np.ndarray
    series: np.ndarray
    start: np.ndarray
    window: int

    def __len__(self) -> int:
        return len(self.start)

    def raw(self, j: int) -> Tensor:
        """Window j as (C, L) float64, NaN where missing."""
        s, t0 = int(self.series[j]), int(self.start[j])
        return torch.as_tensor(self.values[s, t0 : t0 + self.window].T.copy())

    def times(self, j: int) -> np.ndarray:
        t0 = int(self.start[j])
        return self.time[t0 : t0 + self.window]

    def all_raw(self) -> Tensor:
        """Every window, (N, C, L)."""
        return torch.stack([self.raw(j) for j in range(len(self))]) if len(self) else torch.empty(0)


class WindowItems(Dataset):
    """Map-style items {"x", optional "mask", optional "cond"} over :class:`Windows` (see the module docstring).

    ``sampler`` (conditional models) draws the observed subset that goes into ``cond["context"]`` as
    [mask * (x + noise), mask, covariates]; ``context_noise`` (C,) is the observation noise std in physical units.
    ``covariates`` (N, F, L) are per-window time features, ``static`` per-series conditions (label, vector).
    """

    def __init__(
        self,
        windows: Windows,
        norm: Normalizer,
        seed: int,
        *,
        has_missing: bool,
        sampler: MaskSampler | None = None,
        context_noise: Tensor | None = None,
        covariates: Tensor | None = None,
        static: dict[str, Tensor] | None = None,
        jitter: float = 0.0,
        replicas: int = 1,
    ) -> None:
        if replicas < 1:
            raise ValueError(f"replicas must be >= 1, got {replicas}")
        self.windows, self.norm, self.seed = windows, norm, seed
        self.has_missing, self.sampler, self.replicas = has_missing, sampler, replicas
        self.context_noise, self.covariates, self.static, self.jitter = context_noise, covariates, static or {}, jitter

    def __len__(self) -> int:
        return len(self.windows) * self.replicas

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} items")
        j = i % len(self.windows)
        g = torch.Generator().manual_seed(derive_seed(self.seed, i))
        raw = self.windows.raw(j)
        observed = torch.isfinite(raw)
        given = None if self.sampler is None else self.sampler.draw(raw.shape, g) & observed
        offset = self.norm.window_offset(raw, observed if given is None else given)
        if self.norm.center == "window" and given is None and self.jitter > 0:
            offset = (
                offset
                + self.jitter
                * self.norm.channel_scale
                * torch.randn(len(self.norm.mean), generator=g, dtype=torch.float64)[self.norm.channel_variable, None]
            )
        x = torch.where(observed, self.norm.encode(raw, offset), 0.0)
        item: dict[str, Any] = {"x": x.float()}
        if self.has_missing:
            item["mask"] = observed
        cond: dict[str, Tensor] = {}
        covariates = None if self.covariates is None else self.covariates[j]
        if given is not None:
            noise = None
            if self.context_noise is not None and bool((self.context_noise > 0).any()):
                std = (self.context_noise[:, None] / self.norm.channel_scale).to(torch.float64)
                noise = std * torch.randn(raw.shape, generator=g, dtype=torch.float64)
            cond["context"] = csdi_context(x, given, noise, covariates).float()
        elif covariates is not None:
            cond["context"] = covariates.float()
        for key, per_series in self.static.items():
            cond[key] = per_series[int(self.windows.series[j])]
        if cond:
            item["cond"] = cond
        return item
