"""A U-Net on space-to-depth patches: cheaper denoisers for large grids."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from sciddiff.nn import get_backbone


class PatchUNet(nn.Module):
    """F(x) = unshuffle^-1(UNet(unshuffle(x))): each p x p patch of a (B, C, H, W) field becomes C p^2 channels
    on an (H/p, W/p) grid (pixel unshuffle, Shi et al., "Real-Time Single Image and Video Super-Resolution Using
    an Efficient Sub-Pixel Convolutional Neural Network", 2016, arXiv:1609.05158), which cuts the cost of the
    finest U-Net level by p^2. A context is unshuffled the same way; other ``UNet`` arguments pass through."""

    def __init__(self, dims: int, in_channels: int, patch: int = 2, context_channels: int | None = None, **unet: Any):
        super().__init__()
        if dims != 2 or patch < 1:
            raise ValueError(f"PatchUNet works on 2-D fields with patch >= 1, got dims={dims}, patch={patch}")
        self.patch, self.in_channels = int(patch), int(in_channels)
        ctx = None if context_channels is None else context_channels * patch**2
        self.net = get_backbone("unet", dims=2, in_channels=in_channels * patch**2, context_channels=ctx, **unet)

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        p = self.patch
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[-1] % p or x.shape[-2] % p:
            raise ValueError(
                f"x has shape {tuple(x.shape)}; PatchUNet expects (B, {self.in_channels}, H, W) with H and W "
                f"divisible by patch={p}"
            )
        if cond.get("context") is not None:
            cond = {**cond, "context": F.pixel_unshuffle(cond["context"], p)}
        return F.pixel_shuffle(self.net(F.pixel_unshuffle(x, p), c_noise, **cond), p)
