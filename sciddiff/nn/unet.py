"""One U-Net for 1-D (B, C, L) and 2-D (B, C, H, W) data, with attention, conditioning and periodic padding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sciddiff.nn.conditioning import Conditioning, noise_levels
from sciddiff.nn.embeddings import NoiseEmbedding
from sciddiff.nn.unet_blocks import (
    AttentionBlock,
    Downsample,
    Periodic,
    ResBlock,
    Stage,
    Upsample,
    conv,
    group_norm,
    periodic_axes,
)


class UNet(nn.Module):
    """F(x, c_noise, **cond): an encoder-decoder with skip connections at every resolution.

    Ronneberger et al., "U-Net: Convolutional Networks for Biomedical Image Segmentation" (2015,
    arXiv:1505.04597), in the diffusion form of Ho et al. (DDPM, 2020, arXiv:2006.11239) with the scale-shift
    blocks of Dhariwal & Nichol (2021, arXiv:2105.05233), as used under EDM preconditioning (Karras et al.,
    2022, arXiv:2206.00364). Level i has ``channels * channel_mult[i]`` channels and ``num_res_blocks`` residual
    blocks, with self-attention at ``attention_levels`` (default: the coarsest level, plus the middle block).
    ``periodic=True`` pads circularly everywhere, so the network commutes exactly with circular shifts by
    multiples of 2**(len(channel_mult) - 1); a flag per axis (e.g. ``(True, False)`` for a periodic space by a
    bounded time) pads circularly along the flagged axes only. A context is concatenated to the input with its indicator channel.
    The final convolution is zero-initialised, so a fresh network outputs 0. Computes in the parameters' dtype
    and returns x's dtype.
    """

    def __init__(
        self,
        dims: int,
        in_channels: int,
        out_channels: int | None = None,
        channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 2),
        num_res_blocks: int = 2,
        attention_levels: Sequence[int] | None = None,
        heads: int = 4,
        dropout: float = 0.0,
        periodic: Periodic = False,
        emb_dim: int | None = None,
        groups: int = 32,
        embedding: str = "sinusoidal",
        num_classes: int | None = None,
        vector_dim: int | None = None,
        context_channels: int | None = None,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        if dims not in (1, 2):
            raise ValueError(f"UNet dims must be 1 or 2, got {dims}")
        periodic = periodic_axes(periodic, dims)
        channel_mult = tuple(channel_mult)
        if not channel_mult or min(channel_mult) < 1:
            raise ValueError(f"channel_mult must be a non-empty sequence of positive ints, got {channel_mult}")
        levels = len(channel_mult)
        attention_levels = (levels - 1,) if attention_levels is None else tuple(attention_levels)
        if any(not 0 <= a < levels for a in attention_levels):
            raise ValueError(
                f"attention_levels {attention_levels} must lie in [0, {levels}) for channel_mult {channel_mult}"
            )
        for mult in channel_mult:
            if channels * mult % heads:
                raise ValueError(
                    f"{channels * mult} channels (channels={channels} x {mult}) not divisible by heads={heads}"
                )
        self.dims, self.in_channels, self.channel_mult = dims, in_channels, channel_mult
        self.factor = 2 ** (levels - 1)
        emb_dim = 4 * channels if emb_dim is None else emb_dim
        self.noise = NoiseEmbedding(emb_dim, embedding, features=channels)
        self.cond = Conditioning(emb_dim, num_classes, vector_dim, context_channels, p_uncond)

        def stage(cin: int, cout: int, attend: bool) -> Stage:
            res = ResBlock(dims, cin, cout, emb_dim, dropout, periodic, groups)
            return Stage(res, AttentionBlock(cout, heads, groups) if attend else None)

        self.inp = conv(dims, in_channels + self.cond.extra_channels, channels, 3, periodic=periodic)
        ch, skips = channels, [channels]
        self.down = nn.ModuleList()
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                self.down.append(stage(ch, channels * mult, level in attention_levels))
                ch = channels * mult
                skips.append(ch)
            if level < levels - 1:
                self.down.append(Downsample(dims, ch, periodic))
                skips.append(ch)
        self.mid = nn.ModuleList([stage(ch, ch, levels - 1 in attention_levels), stage(ch, ch, False)])
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for _ in range(num_res_blocks + 1):
                self.up.append(stage(ch + skips.pop(), channels * mult, level in attention_levels))
                ch = channels * mult
            if level > 0:
                self.up.append(Upsample(dims, ch, periodic))
        self.norm = group_norm(ch, groups)
        self.out = conv(dims, ch, in_channels if out_channels is None else out_channels, 3, periodic=periodic)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def check_input(self, x: Tensor) -> None:
        """Raise ValueError unless x is (B, in_channels, *spatial) with every size divisible by the factor."""
        if x.dim() != self.dims + 2 or x.shape[1] != self.in_channels:
            spatial = ("L",) if self.dims == 1 else ("H", "W")
            raise ValueError(
                f"x has shape {tuple(x.shape)}; this {self.dims}-D UNet expects (B, {self.in_channels}, {', '.join(spatial)})"
            )
        for axis, size in enumerate(x.shape[2:], start=2):
            if size % self.factor:
                raise ValueError(
                    f"input size {size} (axis {axis}) is not divisible by {self.factor} = 2**(len(channel_mult) - 1) "
                    f"for channel_mult {self.channel_mult}"
                )

    def forward(self, x: Tensor, c_noise: Tensor, **cond: Any) -> Tensor:
        self.check_input(x)
        h = x.to(self.out.weight.dtype)
        emb = self.noise(noise_levels(c_noise, h))
        extra_emb, context = self.cond(h, cond)
        if extra_emb is not None:
            emb = emb + extra_emb
        if context is not None:
            h = torch.cat([h, context], dim=1)
        h = self.inp(h)
        skips = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, Stage) else layer(h)
            skips.append(h)
        for layer in self.mid:
            h = layer(h, emb)
        for layer in self.up:
            h = layer(torch.cat([h, skips.pop()], dim=1), emb) if isinstance(layer, Stage) else layer(h)
        return self.out(F.silu(self.norm(h))).to(x.dtype)
