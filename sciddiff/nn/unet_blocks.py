"""U-Net building blocks for 1-D and 2-D signals: convolutions, residual and attention blocks, resampling."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from sciddiff.nn.attention import SelfAttention

CONVS: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d}


Periodic = bool | Sequence[bool]


def periodic_axes(periodic: Periodic, dims: int) -> tuple[bool, ...]:
    """``periodic`` as one flag per spatial axis: a bool applies to every axis."""
    if isinstance(periodic, bool):
        return (periodic,) * dims
    axes = tuple(bool(p) for p in periodic)
    if len(axes) != dims:
        raise ValueError(f"periodic {list(periodic)} needs one flag per spatial axis ({dims}), got {len(axes)}")
    return axes


class AxisPaddedConv(nn.Module):
    """A convolution padded by kernel // 2 circularly along the periodic axes and with zeros along the others
    (e.g. space periodic, time bounded)."""

    def __init__(self, dims: int, cin: int, cout: int, kernel: int, stride: int, axes: tuple[bool, ...]) -> None:
        super().__init__()
        half = kernel // 2
        self.conv = CONVS[dims](cin, cout, kernel, stride=stride, padding=tuple(0 if p else half for p in axes))
        self.pad = tuple(v for p in reversed(axes) for v in ((half, half) if p else (0, 0)))  # last axis first

    @property
    def weight(self) -> nn.Parameter:
        return self.conv.weight

    @property
    def bias(self) -> nn.Parameter:
        return self.conv.bias

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, self.pad, mode="circular"))


def conv(dims: int, cin: int, cout: int, kernel: int, stride: int = 1, periodic: Periodic = False) -> nn.Module:
    """A ``dims``-D convolution with 'same' padding (kernel // 2), circular along the ``periodic`` axes."""
    axes = periodic_axes(periodic, dims)
    if kernel > 1 and any(axes) and not all(axes):
        return AxisPaddedConv(dims, cin, cout, kernel, stride, axes)
    mode = "circular" if kernel > 1 and all(axes) else "zeros"
    return CONVS[dims](cin, cout, kernel, stride=stride, padding=kernel // 2, padding_mode=mode)


def group_norm(channels: int, groups: int) -> nn.GroupNorm:
    """GroupNorm with gcd(groups, channels) groups, so any channel count works; statistics are per sample."""
    return nn.GroupNorm(math.gcd(groups, channels), channels)


class ResBlock(nn.Module):
    """x W_s + conv2(drop(SiLU(GN(conv1(SiLU(GN(x)))) (1 + scale(e)) + shift(e)))): a scale-shift residual block.

    The BigGAN-style block of Dhariwal & Nichol, "Diffusion Models Beat GANs on Image Synthesis"
    (2021, arXiv:2105.05233), refining the DDPM block of Ho et al. (2020, arXiv:2006.11239).
    """

    def __init__(
        self, dims: int, cin: int, cout: int, emb_dim: int, dropout: float, periodic: Periodic, groups: int
    ) -> None:
        super().__init__()
        self.norm1, self.conv1 = group_norm(cin, groups), conv(dims, cin, cout, 3, periodic=periodic)
        self.emb = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * cout))
        self.norm2, self.drop = group_norm(cout, groups), nn.Dropout(dropout)
        self.conv2 = conv(dims, cout, cout, 3, periodic=periodic)
        self.skip = nn.Identity() if cin == cout else conv(dims, cin, cout, 1)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        shape = (x.shape[0], 2, h.shape[1]) + (1,) * (x.dim() - 2)
        scale, shift = self.emb(emb).reshape(shape).unbind(1)
        h = F.silu(self.norm2(h) * (1 + scale) + shift)
        return self.skip(x) + self.conv2(self.drop(h))


class AttentionBlock(nn.Module):
    """x + Attn(GN(x)) with every spatial position a token (no position encoding: equivariant to shifts)."""

    def __init__(self, channels: int, heads: int, groups: int) -> None:
        super().__init__()
        self.norm, self.attn = group_norm(channels, groups), SelfAttention(channels, heads)

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.norm(x).flatten(2).transpose(1, 2)
        return x + self.attn(tokens).transpose(1, 2).reshape(x.shape)


class Stage(nn.Module):
    """A residual block, optionally followed by self-attention."""

    def __init__(self, res: ResBlock, attn: AttentionBlock | None) -> None:
        super().__init__()
        self.res, self.attn = res, attn

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.res(x, emb)
        return h if self.attn is None else self.attn(h)


class Downsample(nn.Module):
    """Stride-2 3-tap convolution: y[j] = sum_k w[k] x[2j + k - 1]; with circular padding a shift of x by 2s
    shifts y by s exactly."""

    def __init__(self, dims: int, channels: int, periodic: Periodic) -> None:
        super().__init__()
        self.conv = conv(dims, channels, channels, 3, stride=2, periodic=periodic)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    """Nearest-neighbour x2 then a 3-tap convolution; a shift of x by s shifts the output by 2s exactly."""

    def __init__(self, dims: int, channels: int, periodic: Periodic) -> None:
        super().__init__()
        self.conv = conv(dims, channels, channels, 3, periodic=periodic)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))
