"""Gaussian noise with diagonal-plus-low-rank covariance Sigma = D + F F^T, solved by the Woodbury identity."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.noise.base import check_finite
from sciddiff.operators.noise.dense_base import FlatGaussian


class LowRankGaussian(FlatGaussian):
    """n ~ N(0, D + F F^T): ``diag`` (d,) positive (or a number), ``factor`` F of shape (d, k).

    Sigma^-1 = D^-1 - D^-1 F (I + F^T D^-1 F)^-1 F^T D^-1 (Woodbury) and log det Sigma = log det D +
    log det(I + F^T D^-1 F), in O(d k^2). Whitening uses L = D^1/2 (I + G G^T)^1/2 with G = D^-1/2 F (a
    symmetric root from the thin SVD of G), so L L^T = Sigma. Woodbury, "Inverting Modified Matrices" (1950).
    """

    kind = "lowrank"

    def __init__(self, diag: Tensor | float, factor: Tensor) -> None:
        factor = torch.as_tensor(factor).to(torch.float64)
        if factor.dim() != 2:
            raise ValueError(f"LowRankGaussian needs a (d, k) factor, got shape {tuple(factor.shape)}")
        d = factor.shape[0]
        diag = torch.as_tensor(diag).to(torch.float64)
        if diag.dim() == 0:
            diag = diag.expand(d).clone()
        if tuple(diag.shape) != (d,):
            raise ValueError(f"LowRankGaussian diag has shape {tuple(diag.shape)}; the factor needs ({d},)")
        check_finite(diag, "noise diagonal")
        check_finite(factor, "noise factor")
        if bool((diag <= 0).any()):
            raise ValueError(f"LowRankGaussian diag must be > 0, got minimum {diag.min().item():.4g}")
        self.diag, self.factor, self.dim = diag, factor, d
        g = factor / diag.sqrt()[:, None]
        capacitance = torch.eye(factor.shape[1], dtype=torch.float64) + g.T @ g
        self._cap_chol = torch.linalg.cholesky(capacitance)
        q, s, _ = torch.linalg.svd(g, full_matrices=False)
        root = torch.sqrt(1 + s**2)
        self._q, self._root_minus_1, self._inv_root_minus_1 = q, root - 1, 1 / root - 1

    def cov_matvec(self, r: Tensor) -> Tensor:
        return self._flat(r, lambda f: f * self.diag.to(f) + (f @ self.factor.to(f)) @ self.factor.T.to(f))

    def _solve(self, f: Tensor) -> Tensor:
        a = f / self.diag.to(f)
        b = torch.cholesky_solve((a @ self.factor.to(f)).T, self._cap_chol.to(f)).T
        return a - (b @ self.factor.T.to(f)) / self.diag.to(f)

    def solve(self, r: Tensor) -> Tensor:
        return self._flat(r, self._solve)

    def _sym_root(self, f: Tensor, coeff: Tensor) -> Tensor:
        """(I + Q diag(coeff) Q^T) f for row vectors f."""
        q = self._q.to(f)
        return f + ((f @ q) * coeff.to(f)) @ q.T

    def whiten(self, r: Tensor) -> Tensor:
        return self._flat(r, lambda f: self._sym_root(f / self.diag.sqrt().to(f), self._inv_root_minus_1))

    def unwhiten(self, e: Tensor) -> Tensor:
        return self._flat(e, lambda f: self.diag.sqrt().to(f) * self._sym_root(f, self._root_minus_1))

    def logdet(self, event_shape: Sequence[int]) -> Tensor:
        self.validate(event_shape)
        return torch.log(self.diag).sum() + 2.0 * torch.log(torch.diagonal(self._cap_chol)).sum()

    def _dense(self) -> Tensor:
        return torch.diag(self.diag) + self.factor @ self.factor.T

    def __repr__(self) -> str:
        return f"LowRankGaussian(dim={self.dim}, rank={self.factor.shape[1]})"
