"""Expected coverage of posterior credible regions, with and without exact densities."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def hpd_levels(log_density: Callable[[int, Tensor], Tensor], truths: Tensor, samples: Tensor) -> Tensor:
    """Credibility level at which each truth enters the highest-density region of its posterior.

    ``log_density(i, x)`` is instance i's posterior log-density (exact, when known). The level is the fraction
    of samples with a higher density than the truth; a calibrated sampler gives levels uniform on [0, 1], so the
    fraction of levels below a is the coverage of the a-HPD region.
    """
    levels = []
    for i in range(truths.shape[0]):
        lp_true = log_density(i, truths[i : i + 1])
        lp = log_density(i, samples[i])
        levels.append((lp > lp_true).to(torch.float64).mean())
    return torch.stack(levels)


def tarp_levels(truths: Tensor, samples: Tensor, references: Tensor) -> Tensor:
    """TARP: for random reference points r_i, the fraction of samples closer to r_i than the truth is.

    Uniform on [0, 1] for calibrated posteriors without needing densities; the references must not depend on
    the truths (draw them from the prior, or from any distribution given y alone). Lemos et al., "Sampling-Based Accuracy
    Testing of Posterior Estimators for General Inference" (2023), arXiv:2302.03026. Shapes: truths (N, *e),
    samples (N, L, *e), references (N, *e).
    """
    n = truths.shape[0]
    t = truths.reshape(n, -1)
    s = samples.reshape(n, samples.shape[1], -1)
    r = references.reshape(n, -1)
    d_true = (t - r).norm(dim=1, keepdim=True)
    d_samp = (s - r[:, None, :]).norm(dim=2)
    return (d_samp < d_true).to(torch.float64).mean(1)


def coverage_curve(levels: Tensor, alphas: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Expected coverage: for each nominal level a, the fraction of credibility levels below a."""
    alphas = torch.linspace(0, 1, 101, dtype=torch.float64) if alphas is None else alphas
    return alphas, (levels[None, :] < alphas[:, None]).to(torch.float64).mean(1)
