"""Fast exact formulas for mixtures whose components all have isotropic covariances l_k I.

With v_k = a^2 l_k + s^2 (a scalar per sample and component), every quantity reduces to (B, K) matrices and
(B, K) x (K, d) products, without (B, K, d) intermediates:
  log N_k(x) = -(|x|^2 - 2a x.mu_k + a^2 |mu_k|^2) / (2 v_k) - d log(2 pi v_k) / 2,
  E[x0 | x, k] = mu_k (1 - a^2 l_k / v_k) + x a l_k / v_k,  Cov[x0 | x, k] = (l_k s^2 / v_k) I.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


def log_components(x: Tensor, means: Tensor, variances: Tensor, alpha: Tensor, sigma: Tensor) -> Tensor:
    """log N(x; a mu_k, v_k I) for every sample and component, shape (B, K)."""
    a, s = alpha.reshape(-1, 1), sigma.reshape(-1, 1)
    v = a**2 * variances[None] + s**2
    sq = (x * x).sum(1, keepdim=True) - 2 * a * (x @ means.T) + a**2 * (means * means).sum(1)[None]
    return -0.5 * sq.clamp_min(0) / v - 0.5 * x.shape[1] * (math.log(2 * math.pi) + v.log())


@dataclass(frozen=True)
class IsotropicPosterior:
    """Per-component posterior E[x0 | x, k] = mu_k c_k + x g_k and Cov = w_k I, mixed by resp (B, K)."""

    resp: Tensor
    c: Tensor  # (B, K)
    g: Tensor  # (B, K)
    w: Tensor  # (B, K)
    means: Tensor  # (K, d)
    x: Tensor  # (B, d)
    mean: Tensor  # (B, d)

    @classmethod
    def build(
        cls, x: Tensor, means: Tensor, variances: Tensor, alpha: Tensor, sigma: Tensor, resp: Tensor
    ) -> IsotropicPosterior:
        a, s = alpha.reshape(-1, 1), sigma.reshape(-1, 1)
        v = a**2 * variances[None] + s**2
        g = a * variances[None] / v
        c = 1.0 - a * g
        w = variances[None] * s**2 / v
        mean = (resp * c) @ means + (resp * g).sum(1, keepdim=True) * x
        return cls(resp, c, g, w, means, x, mean)

    def matvec(self, v: Tensor) -> Tensor:
        """Cov[x0 | x] v = sum_k r_k (w_k v + m_k (m_k . v)) - m (m . v)."""
        vv = v.to(self.mean.dtype)
        proj = self.c * (vv @ self.means.T) + self.g * (self.x * vv).sum(1, keepdim=True)  # m_k . v, (B, K)
        rp = self.resp * proj
        out = (self.resp * self.w).sum(1, keepdim=True) * vv + (rp * self.c) @ self.means
        out = out + (rp * self.g).sum(1, keepdim=True) * self.x
        return (out - self.mean * (self.mean * vv).sum(1, keepdim=True)).to(v.dtype)

    def _components(self) -> Tensor:
        return self.c[..., None] * self.means[None] + self.g[..., None] * self.x[:, None, :]

    def dense(self) -> Tensor:
        comp = self._components()
        d = self.x.shape[1]
        eye = (self.resp * self.w).sum(1)[:, None, None] * torch.eye(d, dtype=self.x.dtype, device=self.x.device)
        second = (self.resp[..., None, None] * comp[..., :, None] * comp[..., None, :]).sum(1)
        return eye + second - self.mean[:, :, None] * self.mean[:, None, :]

    def diagonal(self) -> Tensor:
        comp = self._components()
        return (self.resp * self.w).sum(1, keepdim=True) + (self.resp[..., None] * comp**2).sum(1) - self.mean**2
