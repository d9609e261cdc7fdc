"""Classifier-free guidance for states with categorical leaves: a log-linear combination of x0-logits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Prediction

_F64 = torch.float64


def guided_logits(uncond: Tensor, cond: Tensor, scale: float) -> Tensor:
    """(1 - w) log p(x0 | x_t) + w log p(x0 | x_t, c), normalised over the last axis (float64); classes that
    either model rules out (-inf) stay ruled out."""
    lu, lc = torch.log_softmax(uncond.to(_F64), -1), torch.log_softmax(cond.to(_F64), -1)
    out = torch.where(torch.isinf(lu) | torch.isinf(lc), -torch.inf, (1.0 - scale) * lu + scale * lc)
    return torch.log_softmax(out, -1)


class DiscreteCFG:
    """p_w(x0 | x_t, c) ~ p(x0 | x_t)^(1 - w) p(x0 | x_t, c)^w per categorical entry, and for the continuous
    leaves of a mixed state D_w = D(x_t; null) + w (D(x_t; c) - D(x_t; null)). w = 1 is the conditional model,
    w = 0 the unconditional one (one evaluation each); other w take two. ``null_cond`` are the keywords of the
    unconditional call (e.g. a null label). Ho & Salimans, "Classifier-Free Diffusion Guidance" (2022),
    arXiv:2207.12598; on token logits as in Chang et al., "Muse: Text-To-Image Generation via Masked Generative
    Transformers" (2023), arXiv:2301.00704.
    """

    def __init__(self, denoiser: Any, scale: float, null_cond: Mapping[str, Any]) -> None:
        self.denoiser, self.scale, self.null_cond = denoiser, float(scale), dict(null_cond)

    def __call__(self, x_t: Any, t: Tensor, **cond: Any) -> Prediction:
        if self.scale == 1.0:
            return _as_prediction(self.denoiser(x_t, t, **cond))
        uncond = _as_prediction(self.denoiser(x_t, t, **self.null_cond))
        if self.scale == 0.0:
            return uncond
        conditional = _as_prediction(self.denoiser(x_t, t, **cond))
        logits = None
        if uncond.logits is not None and conditional.logits is not None:
            logits = {k: guided_logits(v, conditional.logits[k], self.scale) for k, v in uncond.logits.items()}
        return Prediction(_combine(uncond.mean, conditional.mean, self.scale), logits=logits)


def _as_prediction(out: Any) -> Prediction:
    return out if isinstance(out, Prediction) else Prediction(out)


def _combine(uncond: Any, cond: Any, scale: float) -> Any:
    if uncond is None or isinstance(uncond, Tensor):
        return None if uncond is None else uncond + scale * (cond - uncond)
    return {k: v + scale * (cond[k] - v) for k, v in uncond.items()}
