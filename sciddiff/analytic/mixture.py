"""Exact Gaussian-mixture priors: noisy denoiser, score, log-density, Cov[x0 | x_t], sampling, posteriors.

For p(x0) = sum_k w_k N(mu_k, S_k) and x_t = a x0 + s eps, each component's noisy marginal is
N(a mu_k, a^2 S_k + s^2 I), and with S_k = U diag(l) U^T (precomputed once):
  E[x0 | x_t, k]   = mu_k + U diag(a l / v) U^T (x_t - a mu_k),   v = a^2 l + s^2,
  Cov[x0 | x_t, k] = U diag(l s^2 / v) U^T,
mixed by the responsibilities r_k(x_t). Everything is computed in float64 and returned in x's dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from sciddiff.analytic.isotropic import IsotropicPosterior, log_components
from sciddiff.denoisers import Prediction
from sciddiff.processes import Process
from sciddiff.state import NoiseSource

_F64 = torch.float64


def _as_matrix(cov: Tensor | float, m: int, what: str = "noise covariance") -> Tensor:
    """A scalar, vector (diagonal) or matrix covariance as a checked (m, m) positive-definite float64 matrix."""
    c = torch.as_tensor(cov, dtype=_F64)
    if c.dim() == 0:
        c = c * torch.eye(m, dtype=_F64)
    elif c.dim() == 1 and c.shape[0] == m:
        c = torch.diag(c)
    if c.shape != (m, m):
        raise ValueError(
            f"{what} must be a scalar, a ({m},) diagonal or an ({m}, {m}) matrix; got shape {tuple(c.shape)}"
        )
    if not bool(torch.isfinite(c).all()) or not torch.allclose(c, c.T):
        raise ValueError(f"{what} must be finite and symmetric")
    smallest = float(torch.linalg.eigvalsh(c).min())
    if smallest <= 0:
        raise ValueError(f"{what} must be positive definite; its smallest eigenvalue is {smallest:.3g}")
    return c


@dataclass(frozen=True)
class MixtureCovariance:
    """Cov[x0 | x_t] of a mixture as a lazy (B, D, D) operator."""

    resp: Tensor  # (B, K)
    means: Tensor  # (B, K, D) component posterior means
    mean: Tensor  # (B, D)
    eigvecs: Tensor  # (K, D, D)
    shrunk: Tensor  # (B, K, D) eigenvalues l s^2 / v

    def matvec(self, v: Tensor) -> Tensor:
        w = v.to(_F64)
        proj = torch.einsum("kde,bd->bke", self.eigvecs, w) * self.shrunk
        within = torch.einsum("kde,bke->bkd", self.eigvecs, proj)
        between = self.means * torch.einsum("bkd,bd->bk", self.means, w)[..., None]
        out = (self.resp[..., None] * (within + between)).sum(1) - self.mean * (self.mean * w).sum(1, keepdim=True)
        return out.to(v.dtype)

    def dense(self) -> Tensor:
        within = torch.einsum("kde,bke,kfe->bkdf", self.eigvecs, self.shrunk, self.eigvecs)
        between = self.means[..., :, None] * self.means[..., None, :]
        total = (self.resp[..., None, None] * (within + between)).sum(1)
        return total - self.mean[:, :, None] * self.mean[:, None, :]

    def diagonal(self) -> Tensor:
        within = torch.einsum("kde,bke->bkd", self.eigvecs**2, self.shrunk)
        return (self.resp[..., None] * (within + self.means**2)).sum(1) - self.mean**2


class GaussianMixture:
    """p(x0) = sum_k w_k N(x0; mu_k, S_k) over vectors of dimension d, with full covariances.

    Built from ``weights`` (K,), ``means`` (K, d) and ``covs`` (K, d, d) (or (K, d) diagonals, or (K,)
    isotropic variances). States may have any event shape with d elements; they are flattened internally.
    """

    def __init__(self, weights: Tensor, means: Tensor, covs: Tensor, event_shape: tuple[int, ...] | None = None):
        w = torch.as_tensor(weights, dtype=_F64)
        mu = torch.as_tensor(means, dtype=_F64)
        if mu.dim() != 2 or w.shape != (mu.shape[0],):
            raise ValueError(f"need weights (K,) and means (K, d); got {tuple(w.shape)} and {tuple(mu.shape)}")
        if not (torch.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            raise ValueError(f"mixture weights must be finite, non-negative and not all zero; got {w.tolist()}")
        k, d = mu.shape
        c = torch.as_tensor(covs, dtype=_F64)
        if c.dim() == 1:
            c = c[:, None, None] * torch.eye(d, dtype=_F64)
        elif c.dim() == 2:
            c = torch.diag_embed(c)
        if c.shape != (k, d, d):
            raise ValueError(f"covariances must be (K, d, d) = ({k}, {d}, {d}); got {tuple(c.shape)}")
        c = 0.5 * (c + c.transpose(1, 2))
        eigvals, eigvecs = torch.linalg.eigh(c)
        if (eigvals <= 0).any():
            raise ValueError(f"covariances must be positive definite; smallest eigenvalue {float(eigvals.min()):.3g}")
        self.weights, self.means, self.covs = w / w.sum(), mu, c
        diag = torch.diagonal(c, dim1=1, dim2=2)
        iso = bool((c == torch.diag_embed(diag)).all() and (diag == diag[:, :1]).all())
        self.isotropic_variances = diag[:, 0].clone() if iso else None  # fast path when every S_k = l_k I
        self.eigvals, self.eigvecs = eigvals, eigvecs
        self.event_shape = tuple(event_shape) if event_shape is not None else (d,)
        if math.prod(self.event_shape) != d:
            raise ValueError(f"event_shape {self.event_shape} does not hold d = {d} elements")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    # ------------------------------------------------------------------ statistics
    def mean(self) -> Tensor:
        return self.weights @ self.means

    def covariance(self) -> Tensor:
        m = self.mean()
        second = torch.einsum("k,kij->ij", self.weights, self.covs + self.means[:, :, None] * self.means[:, None, :])
        return second - m[:, None] * m[None, :]

    def _flat(self, x: Tensor) -> Tensor:
        flat = x.reshape(x.shape[0], -1)
        if flat.shape[1] != self.dim:
            raise ValueError(f"state has {flat.shape[1]} elements per sample; the mixture has d = {self.dim}")
        return flat.to(_F64)

    # ------------------------------------------------------------------ noisy marginals
    def _parts(self, x: Tensor, alpha: Tensor, sigma: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Whitened residuals z (B,K,d), variances v (B,K,d) and log N_k(x) (B,K)."""
        a, s = alpha.to(_F64).reshape(-1, 1, 1), sigma.to(_F64).reshape(-1, 1, 1)
        resid = x[:, None, :] - a * self.means[None]
        z = torch.einsum("bkd,kde->bke", resid, self.eigvecs)
        v = a**2 * self.eigvals[None] + s**2
        log_n = -0.5 * ((z**2 / v) + torch.log(v)).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return z, v, log_n

    def _alpha_sigma(self, process: Process | None, t: Tensor, b: int) -> tuple[Tensor, Tensor]:
        t = torch.as_tensor(t, dtype=_F64).reshape(-1).expand(b)
        if process is None:
            return torch.ones_like(t), torch.zeros_like(t)
        return process.alpha_sigma(t)

    def _log_components(self, x: Tensor, alpha: Tensor, sigma: Tensor) -> Tensor:
        """log N_k(x) for every sample and component, (B, K)."""
        if self.isotropic_variances is not None:
            return log_components(x, self.means, self.isotropic_variances, alpha.to(_F64), sigma.to(_F64))
        return self._parts(x, alpha, sigma)[2]

    def log_prob(self, x: Tensor, process: Process | None = None, t: Tensor | float = 0.0) -> Tensor:
        """log p_t(x) (the data density when ``process`` is None), shape (B,), in x's dtype."""
        flat = self._flat(x)
        alpha, sigma = self._alpha_sigma(process, t, flat.shape[0])
        log_n = self._log_components(flat, alpha, sigma)
        return torch.logsumexp(torch.log(self.weights) + log_n, dim=1).to(x.dtype)

    def responsibilities(self, x: Tensor, process: Process | None = None, t: Tensor | float = 0.0) -> Tensor:
        """p(component k | x_t), shape (B, K)."""
        flat = self._flat(x)
        alpha, sigma = self._alpha_sigma(process, t, flat.shape[0])
        log_n = self._log_components(flat, alpha, sigma)
        return torch.softmax(torch.log(self.weights) + log_n, dim=1)

    def predict(self, x: Tensor, alpha: Tensor, sigma: Tensor) -> Prediction:
        """E[x0 | x_t] and the lazy Cov[x0 | x_t] for per-sample alpha, sigma of shape (B,)."""
        flat = self._flat(x)
        if self.isotropic_variances is not None:
            a64, s64 = alpha.to(_F64), sigma.to(_F64)
            log_n = log_components(flat, self.means, self.isotropic_variances, a64, s64)
            resp = torch.softmax(torch.log(self.weights) + log_n, dim=1)
            post = IsotropicPosterior.build(flat, self.means, self.isotropic_variances, a64, s64, resp)
            return Prediction(post.mean.to(x.dtype).reshape(x.shape), covariance=post)
        z, v, log_n = self._parts(flat, alpha, sigma)
        resp = torch.softmax(torch.log(self.weights) + log_n, dim=1)
        a = alpha.to(_F64).reshape(-1, 1, 1)
        gain = a * self.eigvals[None] / v
        comp = self.means[None] + torch.einsum("kde,bke->bkd", self.eigvecs, gain * z)
        mean = (resp[..., None] * comp).sum(1)
        shrunk = self.eigvals[None] * sigma.to(_F64).reshape(-1, 1, 1) ** 2 / v
        cov = MixtureCovariance(resp, comp, mean, self.eigvecs, shrunk)
        return Prediction(mean.to(x.dtype).reshape(x.shape), covariance=cov)

    def denoiser(self, process: Process) -> MixtureDenoiser:
        """The exact denoiser (x_t, t) -> Prediction(E[x0 | x_t], Cov[x0 | x_t]) under ``process``."""
        return MixtureDenoiser(self, process)

    def score(self, x: Tensor, process: Process, t: Tensor | float) -> Tensor:
        """grad log p_t(x) = (alpha E[x0 | x_t] - x) / sigma^2."""
        alpha, sigma = self._alpha_sigma(process, t, x.shape[0])
        d = self.predict(x, alpha, sigma).mean.to(_F64).reshape(x.shape[0], -1)
        a, s = alpha.reshape(-1, 1), sigma.reshape(-1, 1)
        return ((a * d - self._flat(x)) / s**2).to(x.dtype).reshape(x.shape)

    def marginal(self, process: Process, t: float) -> GaussianMixture:
        """The mixture p_t at one time t: means a mu_k, covariances a^2 S_k + s^2 I."""
        alpha, sigma = (float(c) for c in process.alpha_sigma(torch.tensor(t, dtype=_F64)))
        eye = torch.eye(self.dim, dtype=_F64)
        return GaussianMixture(
            self.weights, alpha * self.means, alpha**2 * self.covs + sigma**2 * eye, self.event_shape
        )

    # ------------------------------------------------------------------ sampling
    def sample(
        self,
        n: int,
        generator: object = None,
        dtype: torch.dtype = torch.float32,
        return_components: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """n exact samples shaped (n, *event_shape); an int ``generator`` seeds each sample separately."""
        src = NoiseSource.of(generator, n, "cpu")
        u = src.randn((self.dim + 1,), _F64)
        # component choice by inverse CDF of a per-sample uniform, so sample i depends only on its own stream
        uniform = torch.special.ndtr(u[:, 0])
        cdf = torch.cumsum(self.weights, 0)
        comp = torch.searchsorted(cdf, uniform.clamp(max=float(cdf[-1]) - 1e-12)).clamp(max=self.n_components - 1)
        x = self.means[comp].clone()
        for k in torch.unique(comp).tolist():  # one (n_k, d) x (d, d) product per component, no (n, d, d) copies
            rows = comp == k
            x[rows] += (u[rows, 1:] * self.eigvals[k].sqrt()) @ self.eigvecs[k].T
        x = x.to(dtype).reshape(n, *self.event_shape)
        return (x, comp) if return_components else x

    # ------------------------------------------------------------------ conditioning
    def posterior(self, matrix: Tensor, y: Tensor, noise_cov: Tensor | float) -> GaussianMixture:
        """p(x0 | y) for y = A x0 + n, n ~ N(0, noise_cov): again a Gaussian mixture, in closed form.

        Per component: S = A S_k A^T + C, K = S_k A^T S^-1, mean mu_k + K (y - A mu_k), cov S_k - K A S_k, and
        weight proportional to w_k N(y; A mu_k, S). ``noise_cov`` is a scalar variance, a diagonal or a matrix.
        """
        a = torch.as_tensor(matrix, dtype=_F64)
        y = torch.as_tensor(y, dtype=_F64).reshape(-1)
        if a.dim() != 2 or a.shape[1] != self.dim or a.shape[0] != y.shape[0]:
            raise ValueError(
                f"need A of shape (m, {self.dim}) and y of shape (m,); got {tuple(a.shape)}, {tuple(y.shape)}"
            )
        c = _as_matrix(noise_cov, y.shape[0])
        s = a @ self.covs @ a.T + c
        chol = torch.linalg.cholesky(s)
        resid = y - self.means @ a.T  # (K, m)
        gain_t = torch.cholesky_solve(a @ self.covs, chol)  # S^-1 A S_k, (K, m, d)
        means = self.means + torch.einsum("kmd,km->kd", gain_t, resid)
        covs = self.covs - (a @ self.covs).transpose(1, 2) @ gain_t
        white = torch.linalg.solve_triangular(chol, resid[..., None], upper=False)[..., 0]
        log_n = (
            -0.5 * (white**2).sum(-1)
            - torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
            - 0.5 * y.shape[0] * math.log(2 * math.pi)
        )
        logw = torch.log(self.weights) + log_n
        return GaussianMixture(torch.softmax(logw, 0), means, covs, self.event_shape)


def Gaussian(mean: Tensor, cov: Tensor | float, event_shape: tuple[int, ...] | None = None) -> GaussianMixture:
    """A single Gaussian N(mean, cov) as a one-component mixture (cov: scalar, diagonal or full)."""
    mu = torch.as_tensor(mean, dtype=_F64).reshape(-1)
    c = _as_matrix(cov, mu.shape[0], "covariance")
    return GaussianMixture(torch.ones(1, dtype=_F64), mu[None], c[None], event_shape)


class MixtureDenoiser:
    """The exact denoiser of a Gaussian mixture under a process; returns a :class:`Prediction`."""

    def __init__(self, mixture: GaussianMixture, process: Process) -> None:
        self.mixture, self.process = mixture, process

    def __call__(self, x_t: Tensor, t: Tensor) -> Prediction:
        alpha, sigma = self.process.alpha_sigma(torch.as_tensor(t, dtype=_F64).reshape(-1).expand(x_t.shape[0]))
        return self.mixture.predict(x_t, alpha, sigma)
