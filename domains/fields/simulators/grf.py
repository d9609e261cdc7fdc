"""Gaussian random fields with covariance scale^2 (-Laplacian + tau^2 I)^(-alpha), sampled spectrally.

Two boundary conditions, as in the FNO data generators (Li et al., "Fourier Neural Operator for Parametric
Partial Differential Equations", 2020, arXiv:2010.08895):

- zero-Neumann on the unit square (the Darcy coefficient): Karhunen-Loeve expansion in the cosine eigenfunctions
  phi_k(x) = c_k1 c_k2 cos(pi k1 x) cos(pi k2 y) (c_0 = 1, c_k = sqrt 2) with eigenvalues
  (pi^2 |k|^2 + tau^2)^(-alpha), evaluated on the grid nodes x_i = i / (size - 1);
- periodic on the unit torus (Navier-Stokes initial vorticity): Fourier modes e^{2 pi i k.x} with eigenvalues
  (4 pi^2 |k|^2 + tau^2)^(-alpha), on x_j = j / size, by FFT of white noise.

FNO's generators drop the constant mode and rescale the fields (the Darcy one by tau^(alpha - 1), the
Navier-Stokes one by sqrt(2) tau^(alpha - 1)); ``zero_mean`` and ``scale`` reproduce that.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor


def _check(size: int, alpha: float, tau: float, n: int) -> None:
    if size < 2:
        raise ValueError(f"a random field needs size >= 2 grid points per axis, got size={size}")
    if n < 0:
        raise ValueError(f"number of fields must be >= 0, got n={n}")
    if not alpha > 0 or not tau > 0:
        raise ValueError(
            f"the covariance (-Laplacian + tau^2)^(-alpha) needs alpha > 0 and tau > 0, got {alpha}, {tau}"
        )


def neumann_eigenvalues(size: int, alpha: float = 2.0, tau: float = 3.0) -> np.ndarray:
    """(size, size) eigenvalues (pi^2 (k1^2 + k2^2) + tau^2)^(-alpha) of the Neumann covariance, k = 0..size-1."""
    k = np.arange(size, dtype=np.float64)
    return (math.pi**2 * (k[:, None] ** 2 + k[None, :] ** 2) + tau**2) ** (-alpha)


def neumann_basis(size: int) -> np.ndarray:
    """(size, size) matrix Phi[i, k] = c_k cos(pi k x_i), x_i = i / (size - 1): the 1-D Neumann eigenfunctions."""
    x = np.linspace(0.0, 1.0, size)
    k = np.arange(size)
    c = np.where(k == 0, 1.0, math.sqrt(2.0))
    return c[None, :] * np.cos(math.pi * x[:, None] * k[None, :])


def neumann_grf(
    n: int,
    size: int,
    rng: np.random.Generator,
    alpha: float = 2.0,
    tau: float = 3.0,
    scale: float = 1.0,
    zero_mean: bool = True,
) -> np.ndarray:
    """(n, size, size) fields u = scale * Phi (xi * sqrt(lambda)) Phi^T, xi iid N(0, 1): rows are y, columns x.

    ``zero_mean`` drops the constant mode k = (0, 0), as FNO's generator does.
    """
    _check(size, alpha, tau, n)
    phi = neumann_basis(size)
    root = np.sqrt(neumann_eigenvalues(size, alpha, tau))
    if zero_mean:
        root[0, 0] = 0.0
    coeffs = rng.standard_normal((n, size, size)) * root
    return scale * np.einsum("ik,nkl,jl->nij", phi, coeffs, phi, optimize=True)


def periodic_eigenvalues(size: int, alpha: float, tau: float, dtype: torch.dtype = torch.float64) -> Tensor:
    """(size, size) eigenvalues (4 pi^2 |k|^2 + tau^2)^(-alpha) in FFT order (integer frequencies from fftfreq)."""
    k = torch.fft.fftfreq(size, 1.0 / size, dtype=dtype)
    return (4 * math.pi**2 * (k[:, None] ** 2 + k[None, :] ** 2) + tau**2) ** (-alpha)


def periodic_colour(
    size: int, alpha: float = 2.5, tau: float = 7.0, scale: float = 1.0, zero_mean: bool = True
) -> Callable[[Tensor], Tensor]:
    """The map L: z (..., size, size) -> scale * size * IFFT(FFT(z) sqrt(lambda)) that turns white noise into the
    periodic GRF, so x = L z, z ~ N(0, I) (a whitened parametrisation for inference). ``zero_mean`` drops k = 0."""
    _check(size, alpha, tau, 0)
    root = periodic_eigenvalues(size, alpha, tau).sqrt()
    if zero_mean:
        root[0, 0] = 0.0

    def colour(z: Tensor) -> Tensor:
        return scale * size * torch.fft.ifft2(torch.fft.fft2(z) * root.to(z.dtype)).real

    return colour


def periodic_grf(
    n: int,
    size: int,
    generator: torch.Generator,
    alpha: float = 2.5,
    tau: float = 7.0,
    scale: float = 1.0,
    zero_mean: bool = True,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """(n, size, size) fields u = L z (:func:`periodic_colour`), z white noise: E|FFT(u)_k|^2 =
    scale^2 size^4 lambda_k. ``zero_mean`` drops the k = 0 mode (vorticity on a torus has zero mean)."""
    _check(size, alpha, tau, n)
    z = torch.randn(n, size, size, generator=generator, dtype=dtype)
    return periodic_colour(size, alpha, tau, scale, zero_mean)(z)
