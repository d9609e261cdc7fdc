"""Aggregation over non-overlapping windows along one axis (daily -> weekly means, spatial totals)."""

from __future__ import annotations

from collections.abc import Sequence

from sciddiff.operators.base import as_shape
from sciddiff.operators.blocks import BlockReduce, Reduction


class Aggregate(BlockReduce):
    """y = mean (or sum) of consecutive ``window``-long groups along ``axis`` of in_shape (no batch axis).

    Exact SVD: one singular value per output entry, 1/sqrt(window) (mean) or sqrt(window) (sum).
    """

    def __init__(self, in_shape: Sequence[int], axis: int, window: int, mode: Reduction = "mean") -> None:
        in_shape = as_shape(in_shape, "in_shape")
        super().__init__(in_shape, {axis: window}, mode=mode)
        self.axis, self.window = axis, window

    def _repr_args(self) -> str:
        return f"in_shape={self.in_shape}, axis={self.axis}, window={self.window}, mode={self.mode!r}"
