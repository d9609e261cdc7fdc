"""Simulation-based calibration: ranks of the truth among posterior samples, for any model.

For pairs (x, y) drawn from the prior and the forward model, the rank of a statistic f(x) among L posterior
draws f(x_1..L) is uniform on {0..L} exactly when the posterior is calibrated. Talts et al., "Validating
Bayesian Inference Algorithms with Simulation-Based Calibration" (2018), arXiv:1804.06788.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from scipy import stats
from torch import Tensor

Statistic = Callable[[Tensor], Tensor]
"""Maps samples (n, *event) to statistics (n, k)."""


def coordinates(x: Tensor) -> Tensor:
    """The default statistics: every coordinate of the flattened sample."""
    return x.reshape(x.shape[0], -1)


def projections(dim: int, k: int, seed: int = 0) -> Statistic:
    """k random unit directions, for high-dimensional states."""
    theta = torch.randn(dim, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    theta = theta / theta.norm(dim=0, keepdim=True)
    return lambda x: x.reshape(x.shape[0], -1).to(torch.float64) @ theta


@dataclass
class SBCResult:
    """ranks (n_instances, k) in {0..L}; per-statistic chi-square uniformity p-values over ``bins`` bins."""

    ranks: Tensor
    n_posterior: int
    p_values: Tensor
    bins: int

    def histogram(self, path: str | Path, names: list[str] | None = None) -> Path:
        """Save rank histograms with the 99% band of a uniform histogram; returns the file path."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        k = self.ranks.shape[1]
        cols = min(k, 4)
        rows = -(-k // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.4 * rows), squeeze=False)
        n = self.ranks.shape[0]
        lo, hi = stats.binom.ppf([0.005, 0.995], n, 1 / self.bins)
        for j, ax in enumerate(axes.flat):
            if j >= k:
                ax.axis("off")
                continue
            ax.hist(self.ranks[:, j].numpy(), bins=self.bins, range=(0, self.n_posterior + 1), color="C0")
            ax.axhspan(lo, hi, color="grey", alpha=0.3)
            ax.set_title(f"{names[j] if names else f'statistic {j}'} (p = {float(self.p_values[j]):.2f})", fontsize=8)
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


def sbc_ranks(
    truths: Tensor,
    posterior_samples: Tensor,
    statistic: Statistic = coordinates,
    bins: int = 10,
    generator: torch.Generator | None = None,
) -> SBCResult:
    """Ranks of f(truth) among f(samples), ties broken at random.

    ``truths`` (N, *event) and ``posterior_samples`` (N, L, *event), instance by instance.
    """
    n, l_ = posterior_samples.shape[:2]
    if truths.shape[0] != n:
        raise ValueError(f"{truths.shape[0]} truths for {n} sets of posterior samples")
    f_true = statistic(truths)  # (N, k)
    f_post = statistic(posterior_samples.reshape(n * l_, *posterior_samples.shape[2:])).reshape(n, l_, -1)
    below = (f_post < f_true[:, None, :]).sum(1)
    ties = (f_post == f_true[:, None, :]).sum(1)
    jitter = torch.floor(torch.rand(ties.shape, generator=generator) * (ties + 1)).long()
    ranks = below + jitter
    counts = torch.stack(
        [torch.histc(ranks[:, j].double(), bins=bins, min=0, max=l_ + 1) for j in range(ranks.shape[1])]
    )
    p = torch.tensor([float(stats.chisquare(c.numpy()).pvalue) for c in counts])
    return SBCResult(ranks, l_, p, bins)
