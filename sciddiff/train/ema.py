"""Exponential moving average of the weights, with warm-up.

theta_ema <- d_n theta_ema + (1 - d_n) theta, with d_n = min(decay, (1 + n) / (10 + n)) after n updates, so early
averages are not dominated by the random initialisation (the warm-up of TensorFlow's ExponentialMovingAverage
with ``num_updates``). Built on ``torch.optim.swa_utils.AveragedModel``; buffers are averaged too.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel


def ema_decay(decay: float, updates: int, warmup: bool) -> float:
    """The decay used for update number ``updates`` (0-based)."""
    return min(decay, (1.0 + updates) / (10.0 + updates)) if warmup else decay


class EMA(AveragedModel):
    """EMA copy of ``model``; call :meth:`update` after each optimiser step."""

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = True) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay, self.warmup = float(decay), bool(warmup)
        super().__init__(model, multi_avg_fn=self._average, use_buffers=True)

    def _average(self, ema: list[Tensor], params: list[Tensor], n_averaged: Tensor) -> None:
        # AveragedModel copies the weights at its first update (n_averaged = 0); later ones average.
        d = ema_decay(self.decay, int(n_averaged) - 1, self.warmup)
        floats = [(e, p) for e, p in zip(ema, params, strict=True) if e.is_floating_point()]
        if floats:
            torch._foreach_lerp_([e for e, _ in floats], [p for _, p in floats], 1.0 - d)
        for e, p in zip(ema, params, strict=True):
            if not e.is_floating_point():
                e.copy_(p)

    def update(self, model: nn.Module) -> None:
        self.update_parameters(model)
