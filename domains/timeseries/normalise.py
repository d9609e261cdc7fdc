"""Per-variable normalisation x = (raw - offset) / scale, fitted on the training split with NaN left out.

``center="global"``: the offset is the variable's training mean, so decoding is one affine map. ``"window"``
(for series with a trend, e.g. CO2): each window is centred on the mean of its own observed entries per
variable (instance normalisation, as in RevIN: Kim et al., "Reversible Instance Normalization for Accurate
Time-Series Forecasting against Distribution Shift", ICLR 2022), and the scale is the pooled standard deviation
of the training windows about their own means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from sciddiff.domains.timeseries.spectral import SpectralModes
from torch import Tensor

CENTERS = ("global", "window")
MAX_FIT_ENTRIES = 20_000_000


@dataclass
class Normalizer:
    """mean and scale per variable (V,), the variable of each channel (C,), the centring mode and, for one field
    on a periodic grid, optional spectral whitening of the normalised values (:mod:`.spectral`)."""

    mean: Tensor
    scale: Tensor
    channel_variable: Tensor
    center: str = "global"
    modes: SpectralModes | None = None

    def __post_init__(self) -> None:
        if self.center not in CENTERS:
            raise ValueError(f"center must be one of {CENTERS}, got {self.center!r}")

    @property
    def channel_mean(self) -> Tensor:
        """(C, 1) float64."""
        return self.mean[self.channel_variable][:, None]

    @property
    def channel_scale(self) -> Tensor:
        """(C, 1) float64."""
        return self.scale[self.channel_variable][:, None]

    def window_offset(self, raw: Tensor, mask: Tensor) -> Tensor:
        """Per-variable mean of ``raw`` over the entries ``mask`` selects, broadcast to channels: (..., C, 1).

        A variable with no selected entry gets its training mean. With ``center="global"`` this is the mean.
        """
        lead = raw.shape[:-2]
        if self.center == "global":
            return self.channel_mean.to(raw.dtype).expand(*lead, -1, 1)
        v = len(self.mean)
        m = mask & torch.isfinite(raw)
        values = torch.where(m, raw, torch.zeros_like(raw)).sum(-1)  # (..., C)
        counts = m.sum(-1).to(raw.dtype)
        sums = torch.zeros(*lead, v, dtype=raw.dtype).index_add_(-1, self.channel_variable, values)
        n = torch.zeros(*lead, v, dtype=raw.dtype).index_add_(-1, self.channel_variable, counts)
        per_var = torch.where(n > 0, sums / n.clamp_min(1.0), self.mean.to(raw.dtype))
        return per_var[..., self.channel_variable, None]

    def encode(self, raw: Tensor, offset: Tensor | None = None) -> Tensor:
        """(raw - offset) / scale in float64; the offset defaults to the training mean."""
        raw = raw.to(torch.float64)
        offset = self.channel_mean if offset is None else offset.to(torch.float64)
        x = (raw - offset) / self.channel_scale
        return x if self.modes is None else self.modes.analyse(x)

    def decode(self, state: Tensor, offset: Tensor | None = None) -> Tensor:
        """scale * state + offset in float64 (differentiable)."""
        offset = self.channel_mean if offset is None else offset.to(torch.float64)
        x = state.to(torch.float64)
        x = x if self.modes is None else self.modes.synthesise(x)
        return x * self.channel_scale.to(state.device) + offset.to(state.device)

    def state_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "scale": self.scale,
            "channel_variable": self.channel_variable,
            "center": self.center,
            "modes": None if self.modes is None else self.modes.state_dict(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Normalizer:
        modes = state.get("modes")
        modes = None if modes is None else SpectralModes(modes["std"])
        return cls(state["mean"], state["scale"], state["channel_variable"], state["center"], modes)

    @classmethod
    def fit(
        cls,
        train: np.ndarray,
        channel_variable: np.ndarray,
        names: list[str],
        center: str,
        window: int,
        spectral: bool = False,
    ) -> Normalizer:
        """Fit on training values (S, T, C) with NaN missing; ``names`` label the variables in errors. ``spectral``
        also fits the per-mode std of the normalised values (channels = the points of one periodic grid)."""
        if center not in CENTERS:
            raise ValueError(f"center must be one of {CENTERS}, got {center!r}")
        v = len(names)
        mean, scale = np.empty(v), np.empty(v)
        for i, name in enumerate(names):
            values = train[:, :, channel_variable == i]
            if not np.isfinite(values).any():
                raise ValueError(f"variable {name!r} has no observed value in the training split; it cannot be fitted")
            mean[i] = np.nanmean(values)
            if center == "global":
                scale[i] = np.nanstd(values)
                continue
            step = max(1, int(np.ceil(values[:, : values.shape[1] - window + 1].size * window / MAX_FIT_ENTRIES)))
            wins = sliding_window_view(values, window, axis=1)[:, ::step]  # (S, N, C_v, L)
            counts = np.isfinite(wins).sum(axis=(2, 3), keepdims=True)
            centred = wins - np.nansum(wins, axis=(2, 3), keepdims=True) / np.maximum(counts, 1)
            scale[i] = np.sqrt(np.nanmean(centred**2))
        scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)  # constant: scale 1
        norm = cls(
            torch.as_tensor(mean, dtype=torch.float64),
            torch.as_tensor(scale, dtype=torch.float64),
            torch.as_tensor(channel_variable, dtype=torch.long),
            center,
        )
        if spectral:
            if center != "global" or not np.isfinite(train).all():
                raise ValueError("spectral whitening needs center='global' and a series without missing values")
            norm.modes = SpectralModes.fit(norm.encode(torch.as_tensor(train).transpose(1, 2)))
        return norm
