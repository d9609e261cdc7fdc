"""Per-entry loss terms of a categorical leaf, from x0-logits (B, *event, K) at a noisy state x_t (B, *event).

- ``"elbo"`` for a masked process: MD4's continuous-time ELBO integrand, -alpha'/(1 - alpha) times the
  cross-entropy -log p(x0 | x_t) on masked entries (0 elsewhere). Its integral over t in [0, 1] is an upper bound
  on -log p(x0) in nats, tight for the exact denoiser. Shi et al., "Simplified and Generalized Masked Diffusion for
  Discrete Data" (2024), arXiv:2406.04329, eq. (5).
- ``"elbo"`` for uniform and marginal processes: the continuous-time ELBO integrand of a factorised CTMC,
  beta m_x sum_{y != x} [r_theta(y) - r(y) + r(y) log(r(y) / r_theta(y))] with beta = -alpha'/alpha and the
  reverse-rate ratios r(y) = q(y | x0) / q(x | x0), r_theta(y) = sum_k p(k | x_t) q(y | k) / q(x | k). Campbell et
  al., "A Continuous Time Framework for Discrete Denoising Models" (2022), arXiv:2205.14987. For the masked
  process it reduces to MD4's integrand.
- ``"ce"``: the cross-entropy -log p(x0 | x_t) on every corrupted entry (masked entries for a masked process, all
  entries otherwise), DiGress' training loss. Vignac et al. (2022), arXiv:2209.14734.

p(x0 | x_t) is the softmax of the logits restricted to the classes x_t is consistent with (``clean_probs``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes import CategoricalProcess, MaskedProcess

OBJECTIVES = ("elbo", "ce")
_F64 = torch.float64


def cross_entropy(process: CategoricalProcess, logits: Tensor, x0: Tensor, x_t: Tensor, t: Tensor) -> Tensor:
    """-log p(x0 | x_t) per entry, float64 (B, *event)."""
    consistent = process.consistent(x_t, t)
    logp = torch.log_softmax(logits.to(_F64).masked_fill(~consistent, float("-inf")), dim=-1)
    return -logp.gather(-1, x0.long().unsqueeze(-1)).squeeze(-1)


def masked_elbo(process: MaskedProcess, logits: Tensor, x0: Tensor, x_t: Tensor, t: Tensor) -> Tensor:
    """-alpha'(t) / (1 - alpha(t)) * CE on masked entries, 0 on revealed ones (B, *event)."""
    tt = torch.as_tensor(t, dtype=_F64, device=x_t.device).reshape(-1)
    weight = -process.schedule.dalpha(tt) / (1.0 - process.schedule.alpha(tt))
    weight = weight.reshape(weight.shape[:1] + (1,) * (x_t.dim() - 1))
    masked = x_t == process.mask_index
    ce = cross_entropy(process, logits, x0, x_t, t)
    return torch.where(masked, weight * torch.where(masked, ce, 0.0), 0.0)


def mixing_elbo(process: CategoricalProcess, logits: Tensor, x0: Tensor, x_t: Tensor, t: Tensor) -> Tensor:
    """The CTMC ELBO integrand per entry for any mixing process (B, *event); see the module docstring."""
    tt = torch.as_tensor(t, dtype=_F64, device=x_t.device).reshape(-1)
    a = process.schedule.alpha(tt)
    beta = (-process.schedule.dalpha(tt) / a).reshape(a.shape[:1] + (1,) * (x_t.dim() - 1))
    x = x_t.long()
    m = process.stationary.to(x_t.device)
    q0 = process.marginal_probs(x0, t)  # q(y | x0), (B, *event, S)
    ratio = q0 / q0.gather(-1, x.unsqueeze(-1))
    p0 = process.clean_probs(x_t, logits, t)
    lik = process.likelihood(x_t, t)
    w = torch.where(lik > 0, p0 / lik.clamp_min(torch.finfo(_F64).tiny), 0.0)
    total = w.sum(-1, keepdim=True)
    if process.num_states > process.num_classes:
        w = torch.cat([w, torch.zeros_like(w[..., :1])], dim=-1)
    ac = a.reshape(a.shape[:1] + (1,) * x_t.dim())
    ratio_model = ac * w + (1.0 - ac) * m * total
    other = ~torch.nn.functional.one_hot(x, process.num_states).bool()
    d = (ratio_model - ratio) / ratio.clamp_min(torch.finfo(_F64).tiny)
    per_y = torch.where(ratio > 0, ratio * (d - torch.log1p(d)), ratio_model)
    bracket = torch.where(other, per_y, 0.0).sum(-1)
    gone = (bracket == 0) | (ac.squeeze(-1) == 0)  # the integrand's limit is 0 where alpha = 0 (beta = inf)
    return torch.where(gone, 0.0, beta * m[x] * bracket)


def categorical_terms(
    process: CategoricalProcess, logits: Tensor, x0: Tensor, x_t: Tensor, t: Tensor, objective: str
) -> Tensor:
    """The per-entry loss of ``objective`` ("elbo" or "ce") for one leaf, float64 (B, *event)."""
    if objective == "elbo":
        if isinstance(process, MaskedProcess):
            return masked_elbo(process, logits, x0, x_t, t)
        return mixing_elbo(process, logits, x0, x_t, t)
    if objective == "ce":
        ce = cross_entropy(process, logits, x0, x_t, t)
        if isinstance(process, MaskedProcess):
            return torch.where(x_t == process.mask_index, ce, 0.0)
        return ce
    raise ValueError(f"unknown categorical objective {objective!r}; choose one of {list(OBJECTIVES)}")
