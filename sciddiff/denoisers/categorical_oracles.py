"""Exact denoisers for small categorical and mixed distributions: oracles for testing samplers and losses.

- :class:`EnumeratedCategorical`: any joint distribution over L positions with K classes, stored as a table of
  K^L probabilities (e.g. a few DNA letters). p(x0 | x_t) is proportional to p(x0) prod_i q(x_t^i | x0^i).
- :class:`LabelledGaussianMixture`: a categorical label c ~ pi and a continuous vector x | c ~ N(mu_c, v_c I),
  noised by a categorical and a Gaussian process at the same t. Its exact joint denoiser returns
  E[x0 | x_t, c_t] and the logits of p(c | x_t, c_t), with p(c | .) ~ pi_c q(c_t | c) N(x_t; alpha mu_c,
  (alpha^2 v_c + sigma^2) I).
All computations are float64.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers.prediction import Prediction
from sciddiff.processes import CategoricalProcess, Process
from sciddiff.processes.categorical_sampling import sample_probs
from sciddiff.state import NoiseSource

_F64 = torch.float64


class EnumeratedCategorical:
    """p(x0) given by ``probs`` of shape (K,) * L; states are (B, L) integer tensors; logits leaf ``leaf``."""

    def __init__(self, probs: Tensor, process: CategoricalProcess, leaf: str = "x") -> None:
        p = torch.as_tensor(probs, dtype=_F64)
        k = process.num_classes
        if p.dim() < 1 or any(n != k for n in p.shape):
            raise ValueError(f"probs must have shape ({k},) * L for K = {k} classes; got {tuple(p.shape)}")
        if not (torch.isfinite(p).all() and (p >= 0).all() and abs(float(p.sum()) - 1.0) < 1e-9):
            raise ValueError("probs must be non-negative and sum to 1")
        self.probs, self.process, self.leaf = p, process, leaf
        self.length, self.num_classes = p.dim(), k
        grids = torch.meshgrid(*[torch.arange(k)] * self.length, indexing="ij")
        self.states = torch.stack([g.reshape(-1) for g in grids], dim=1)  # (K^L, L), row-major like probs

    def log_prob(self, x0: Tensor) -> Tensor:
        """log p(x0) for states (B, L)."""
        return torch.log(self.probs.reshape(-1)[self.index(x0)])

    def index(self, x: Tensor) -> Tensor:
        """Row-major index of states (B, L) into the flattened table."""
        weights = self.num_classes ** torch.arange(self.length - 1, -1, -1, device=x.device)
        return (x.long() * weights).sum(-1)

    def sample(self, n: int, generator: object = None) -> Tensor:
        """n exact draws (n, L)."""
        idx = sample_probs(self.probs.reshape(1, -1).expand(n, -1), NoiseSource.of(generator, n, "cpu"))
        return self.states[idx]

    def posterior(self, x_t: Tensor, t: Tensor) -> Tensor:
        """p(x0 | x_t) over all K^L states, (B, K^L)."""
        loglik = self.process.x0_log_likelihood(x_t, t)  # (B, L, K)
        cols = self.states.to(x_t.device)
        joint = torch.log(self.probs.reshape(-1)).to(x_t.device).expand(x_t.shape[0], -1)
        for i in range(self.length):
            joint = joint + loglik[:, i, cols[:, i]]
        return torch.softmax(joint, dim=-1)

    def __call__(self, x_t: Tensor | dict[str, Tensor], t: Tensor, **cond: Any) -> Prediction:
        x = x_t[self.leaf] if isinstance(x_t, dict) else x_t
        post = self.posterior(x, t).reshape(x.shape[0], *self.probs.shape)
        dims = list(range(1, self.length + 1))
        marg = torch.stack([post.sum(dim=[d for d in dims if d != i + 1]) for i in range(self.length)], dim=1)
        return Prediction(mean=None, logits={self.leaf: torch.log(marg)})


class LabelledGaussianMixture:
    """Label c ~ ``weights`` (C,), x | c ~ N(``means[c]``, ``variances[c]`` I) in R^d, as the state
    ``{label_leaf: (B,), value_leaf: (B, d)}`` noised by ``label_process`` and ``process`` at one t."""

    def __init__(
        self,
        weights: Tensor,
        means: Tensor,
        variances: Tensor,
        label_process: CategoricalProcess,
        process: Process,
        label_leaf: str = "label",
        value_leaf: str = "x",
    ) -> None:
        w, mu, v = (torch.as_tensor(a, dtype=_F64) for a in (weights, means, variances))
        if mu.dim() != 2 or w.shape != (mu.shape[0],) or v.shape != (mu.shape[0],):
            raise ValueError(f"need weights (C,), means (C, d), variances (C,); got {w.shape}, {mu.shape}, {v.shape}")
        if w.shape[0] != label_process.num_classes:
            raise ValueError(f"{w.shape[0]} labels but the label process has {label_process.num_classes} classes")
        if not ((w > 0).all() and (v > 0).all()):
            raise ValueError("weights and variances must be positive")
        self.weights, self.means, self.variances = w / w.sum(), mu, v
        self.label_process, self.process = label_process, process
        self.label_leaf, self.value_leaf = label_leaf, value_leaf

    def sample(self, n: int, generator: object = None) -> dict[str, Tensor]:
        """n exact joint draws."""
        noise = NoiseSource.of(generator, n, "cpu")
        c = sample_probs(self.weights.expand(n, -1), noise)
        x = self.means[c] + self.variances[c].sqrt()[:, None] * noise.randn((self.means.shape[1],), _F64)
        return {self.label_leaf: c, self.value_leaf: x}

    def __call__(self, x_t: dict[str, Tensor], t: Tensor, **cond: Any) -> Prediction:
        x = x_t[self.value_leaf].to(_F64)
        tt = t.to(_F64)
        a, s = (c[:, None] for c in self.process.alpha_sigma(tt))
        var = a**2 * self.variances + s**2  # (B, C)
        diff = x[:, None, :] - a[..., None] * self.means  # (B, C, d)
        d = x.shape[1]
        log_n = -0.5 * (diff**2).sum(-1) / var - 0.5 * d * torch.log(2 * math.pi * var)
        log_label = self.label_process.x0_log_likelihood(x_t[self.label_leaf], tt)  # (B, C)
        log_post = torch.log_softmax(torch.log(self.weights) + log_label + log_n, dim=-1)
        gain = (a * self.variances / var)[..., None]  # (B, C, 1)
        comp = self.means + gain * diff
        mean = (log_post.exp()[..., None] * comp).sum(1)
        return Prediction(
            mean={self.value_leaf: mean.to(x_t[self.value_leaf].dtype)}, logits={self.label_leaf: log_post}
        )
