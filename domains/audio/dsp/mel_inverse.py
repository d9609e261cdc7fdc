"""Non-negative least-squares inversion of a mel filterbank.

Given mel magnitudes Y = W S (W: n_mels x n_freq, S >= 0), find S >= 0 minimising ||W S - Y||_F^2. It starts at
the clamped pseudo-inverse max(W^+ Y, 0) and runs accelerated projected gradient (FISTA with projection onto the
non-negative orthant; Beck & Teboulle, "A fast iterative shrinkage-thresholding algorithm", 2009) with step
1 / ||W||_2^2, batched over frames.
"""

from __future__ import annotations

import torch
from torch import Tensor


def mel_pseudo_inverse(mel: Tensor, filterbank: Tensor, *, n_iter: int = 200) -> Tensor:
    """Linear-frequency magnitudes S >= 0 with W S ~= mel; mel is (..., n_mels, frames) -> (..., n_freq, frames).

    ``n_iter=0`` returns the clamped pseudo-inverse max(W^+ mel, 0) alone.
    """
    if mel.shape[-2] != filterbank.shape[0]:
        raise ValueError(f"mel has {mel.shape[-2]} bands; the filterbank has {filterbank.shape[0]}")
    if n_iter < 0:
        raise ValueError(f"n_iter must be >= 0, got {n_iter}")
    w = filterbank.to(mel.dtype)
    s = torch.clamp(torch.linalg.pinv(w) @ mel, min=0.0)
    step = 1.0 / float(torch.linalg.matrix_norm(w, ord=2)) ** 2
    wtw, wty = w.T @ w, w.T @ mel
    y, t = s, 1.0
    for _ in range(n_iter):
        s_next = torch.clamp(y - step * (wtw @ y - wty), min=0.0)
        t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t) ** 0.5)
        y = s_next + ((t - 1.0) / t_next) * (s_next - s)
        s, t = s_next, t_next
    return s
