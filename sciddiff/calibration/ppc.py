"""Posterior-predictive checks: do the samples explain the data at the level of the noise?"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from scipy import stats
from torch import Tensor


@dataclass
class PPCResult:
    """Per-sample chi-square of whitened residuals, its degrees of freedom, and p-values under chi2(m)."""

    chi2: Tensor
    dof: int
    p_values: Tensor

    @property
    def reduced(self) -> Tensor:
        return self.chi2 / self.dof


def residual_chi2(operator: object, y: Tensor, samples: Tensor, noise: object) -> PPCResult:
    """chi^2 = (y - A x)^T Sigma^-1 (y - A x) per posterior sample; for a replicated observation
    y_rep = A x + noise this is chi-square with m degrees of freedom. Gelman, Meng & Stern, "Posterior predictive
    assessment of model fitness via realized discrepancies" (1996)."""
    with torch.no_grad():
        r = y.unsqueeze(0).to(samples.dtype) - operator(samples)  # type: ignore[operator]
        chi2 = (r * noise.solve(r)).reshape(samples.shape[0], -1).sum(1)  # type: ignore[attr-defined]
    dof = int(r[0].numel())
    return PPCResult(chi2, dof, torch.from_numpy(stats.chi2.sf(chi2.double().numpy(), dof)))
