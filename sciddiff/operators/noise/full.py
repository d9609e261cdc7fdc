"""Correlated Gaussian noise with a full covariance, factorised once by Cholesky."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.noise.base import check_finite
from sciddiff.operators.noise.dense_base import FlatGaussian


class FullGaussian(FlatGaussian):
    """n ~ N(0, Sigma) for a symmetric positive-definite (d, d) ``cov`` over the flattened observation.

    Sigma = L L^T with L the lower Cholesky factor (float64, computed once): whiten is a triangular solve.
    """

    kind = "full"

    def __init__(self, cov: Tensor) -> None:
        cov = torch.as_tensor(cov).to(torch.float64)
        if cov.dim() != 2 or cov.shape[0] != cov.shape[1]:
            raise ValueError(f"FullGaussian needs a square (d, d) covariance, got shape {tuple(cov.shape)}")
        check_finite(cov, "noise covariance")
        asym = (cov - cov.T).abs().max().item() if cov.numel() else 0.0
        if asym > 1e-10 * max(cov.abs().max().item(), 1e-300):
            raise ValueError(f"noise covariance is not symmetric: max |C - C^T| = {asym:.3g}")
        chol, info = torch.linalg.cholesky_ex(cov)
        if int(info) != 0:
            raise ValueError(f"noise covariance is not positive definite (Cholesky fails at pivot {int(info)})")
        self.cov, self.chol, self.dim = cov, chol, cov.shape[0]

    def cov_matvec(self, r: Tensor) -> Tensor:
        return self._flat(r, lambda f: f @ self.cov.to(f))

    def solve(self, r: Tensor) -> Tensor:
        return self._flat(r, lambda f: torch.cholesky_solve(f.T, self.chol.to(f)).T)

    def whiten(self, r: Tensor) -> Tensor:
        return self._flat(r, lambda f: torch.linalg.solve_triangular(self.chol.to(f), f.T, upper=False).T)

    def unwhiten(self, e: Tensor) -> Tensor:
        return self._flat(e, lambda f: f @ self.chol.T.to(f))

    def logdet(self, event_shape: Sequence[int]) -> Tensor:
        self.validate(event_shape)
        return 2.0 * torch.log(torch.diagonal(self.chol)).sum()

    def _dense(self) -> Tensor:
        return self.cov.clone()

    def __repr__(self) -> str:
        return f"FullGaussian(dim={self.dim})"
