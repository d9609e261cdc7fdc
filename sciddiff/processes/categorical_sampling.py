"""Categorical draws by the Gumbel-max trick, in float64.

argmax_k (log p_k + g_k) with g_k = -log(-log u_k), u_k ~ U(0, 1), is a draw from p. With float32 uniforms the
largest Gumbel value is -log(-log(1 - 2^-24)) = 16.6, so classes whose log-odds against the winner lie beyond
that are never drawn: a silently lowered temperature. Float64 uniforms move the cut to 36.7. Zheng et al.,
"Masked Diffusion Models are Secretly Time-Agnostic Masked Models and Exploit Inaccurate Categorical Sampling"
(2024), arXiv:2409.02908, Sec. 5.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.state import NoiseSource

_F64 = torch.float64


def gumbel(u: Tensor) -> Tensor:
    """Standard Gumbel variates -log(-log u), computed in the dtype of ``u``."""
    return -torch.log(-torch.log(u))


def gumbel_argmax(log_probs: Tensor, u: Tensor) -> Tensor:
    """argmax over the last axis of log_probs + gumbel(u); ``u`` has log_probs' shape (its dtype sets the
    precision of the Gumbel noise; the sum is taken in float64)."""
    if u.shape != log_probs.shape:
        raise ValueError(f"uniforms have shape {tuple(u.shape)}; the log-probabilities have {tuple(log_probs.shape)}")
    return (log_probs.to(_F64) + gumbel(u).to(_F64)).argmax(dim=-1)


def sample_logits(logits: Tensor, noise: NoiseSource) -> Tensor:
    """One draw from softmax(logits) per leading index: logits (B, ..., K) -> indices (B, ...), float64 noise."""
    u = noise.rand(tuple(logits.shape[1:]), _F64)
    return gumbel_argmax(logits, u)


def sample_probs(probs: Tensor, noise: NoiseSource) -> Tensor:
    """One draw from normalised probabilities (B, ..., K) (zeros are never drawn) -> indices (B, ...)."""
    return sample_logits(torch.log(probs.to(_F64)), noise)
