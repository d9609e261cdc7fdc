"""Negative log-likelihood of data in bits per dimension, in the data's own (raw) units.

log p_raw(r) = log p_state(encode(r)) + log |det d encode / d raw|; for integer data with bin width Delta,
uniform dequantisation r + Delta u (u ~ U[0, 1)^D) gives the discrete log-probability bound
log P(r) >= E_u[log p_raw(r + Delta u)] + D log Delta. The state log-density comes from the probability-flow
ODE (Song et al., "Score-Based Generative Modeling through Stochastic Differential Equations", 2021,
arXiv:2011.13456). Bits/dim = -log P / (D ln 2).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

import sciddiff
from sciddiff.state import State
from sciddiff.train.checkpoint import TrainedModel


def bits_per_dim(model: TrainedModel, x: State, seed: int = 0, **options: Any) -> Tensor:
    """Per-sample bits/dim of encoded data ``x`` (a batch of the adapter's states), shape (B,)."""
    adapter = model.adapter
    delta = adapter.dequantization
    if delta is not None:
        raw = adapter.decode(x)
        g = torch.Generator().manual_seed(seed)
        x = adapter.encode(raw + delta * torch.rand(raw.shape, generator=g, dtype=raw.dtype)).to(x.dtype)
    spec = adapter.state_spec()
    log_p = sciddiff.log_likelihood(model.denoiser, model.process, x, spec=spec, generator=seed, **options)
    log_p = log_p.double() + adapter.log_det_jacobian(x).double()
    dims = spec.dim(x)
    if delta is not None:
        log_p = log_p + dims * math.log(delta)
    return -log_p / (dims * math.log(2.0))
