"""A 2-D U-Net over (space, time) for series whose channels are variables x points on a spatial grid.

The time-series adapter stores a field u(p, t) of V variables on P grid points as (B, V * P, L) channels by time
(channel c = v * P + p). A 1-D U-Net over time then sees the P points as unrelated channels and has no notion of
spatial scale: its samples carry a flat (white) spectral floor at high wavenumbers. This backbone views the state
as an image (B, V, P, L) and runs :class:`sciddiff.nn.UNet` over it, with circular padding along a periodic space
(Kuramoto-Sivashinsky, Lorenz-96 sites) and zero padding along time, so every layer is a local convolution in
space and time and the network commutes with circular shifts of the grid (by multiples of its down-sampling
factor). The convolutional space-time prior follows the space-time score models of Rozet & Louppe, "Score-based
Data Assimilation" (2023, arXiv:2306.10574).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sciddiff.nn import UNet


class GridUNet(nn.Module):
    """F(x, c_noise, **cond) for x of shape (B, variables * points, L), computed as a 2-D U-Net on (B, V, P, L).

    ``context`` (B, m * V * P + time_features, L) holds m per-entry groups (observed values, then the observation
    mask) followed by per-time covariates; the groups become m * V image channels and the covariates are
    broadcast over space. ``label``/``vector`` pass through. Other keyword arguments go to the U-Net.
    """

    def __init__(
        self,
        in_channels: int,
        variables: int = 1,
        periodic_space: bool = True,
        time_features: int = 0,
        context_channels: int | None = None,
        **unet: Any,
    ) -> None:
        super().__init__()
        if variables < 1 or in_channels % variables:
            raise ValueError(f"in_channels={in_channels} is not a multiple of variables={variables}")
        points = in_channels // variables
        ctx = context_channels or 0
        per_entry = ctx - time_features
        if ctx and (per_entry < 0 or per_entry % in_channels):
            raise ValueError(
                f"context_channels={ctx} must be m * in_channels ({in_channels}) + time_features ({time_features})"
            )
        self.in_channels, self.variables, self.points = in_channels, variables, points
        self.groups, self.time_features = (per_entry // in_channels if ctx else 0), time_features
        image_context = self.groups * variables + time_features if ctx else None
        self.unet = UNet(2, variables, periodic=(periodic_space, False), context_channels=image_context, **unet)

    def to_image(self, series: Tensor, groups: int) -> Tensor:
        """(B, groups * V * P, L) -> (B, groups * V, P, L)."""
        b, _, length = series.shape
        return series.reshape(b, groups * self.variables, self.points, length)

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"x has shape {tuple(x.shape)}; GridUNet expects (B, {self.in_channels}, L)")
        context = cond.pop("context", None)
        if context is not None:
            split = self.groups * self.in_channels
            per_time = context[:, split:, None, :].expand(-1, -1, self.points, -1)
            cond["context"] = torch.cat([self.to_image(context[:, :split], self.groups), per_time], dim=1)
        out = self.unet(self.to_image(x, 1), c_noise, **cond)
        return out.reshape(x.shape)
