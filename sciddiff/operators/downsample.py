"""Downsampling by block averaging (super-resolution) over the last two axes, or the last axis for 1-D signals."""

from __future__ import annotations

from collections.abc import Sequence

from sciddiff.operators.base import as_shape
from sciddiff.operators.blocks import BlockReduce


class Downsample(BlockReduce):
    """y = means of factor x factor blocks over the last two axes (``ndim=1``: of factor-long blocks on the last
    axis); leading axes are channels. Exact SVD: s = 1/factor in 2-D (1/sqrt(factor) in 1-D), one per output
    entry. The SR forward model of DDRM: Kawar et al. (2022), arXiv:2201.11793.
    """

    def __init__(self, factor: int, in_shape: Sequence[int], ndim: int | None = None) -> None:
        in_shape = as_shape(in_shape, "in_shape")
        ndim = ndim if ndim is not None else min(2, len(in_shape))
        if ndim not in (1, 2) or ndim > len(in_shape):
            raise ValueError(f"Downsample works over 1 or 2 trailing axes of in_shape {in_shape}, got ndim={ndim}")
        super().__init__(in_shape, {a: factor for a in range(-ndim, 0)}, mode="mean")
        self.factor, self.ndim = factor, ndim

    def _repr_args(self) -> str:
        return f"factor={self.factor}, in_shape={self.in_shape}" + (", ndim=1" if self.ndim == 1 else "")
