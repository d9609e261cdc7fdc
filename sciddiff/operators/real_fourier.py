"""The real orthonormal Fourier transform: the unitary DFT of a real signal, written in a real orthonormal basis.

For real x, the unitary DFT X = fft(x, norm="ortho") over the last ``ndim`` axes has X[-k] = conj(X[k]).
Pair each frequency k with -k (indices mod the axis lengths). At the lower flat index of a pair the coefficient
is sqrt(2) Re X[k] (a cosine mode), at the higher one sqrt(2) Im X[k] (a sine mode); at the self-conjugate
frequencies (k = -k: 0 or n/2 on every axis) it is X[k], which is real. By Parseval this map R^n -> R^n is
orthogonal. Coefficients keep the layout of the frequency grid (DC at index 0, numpy.fft order), so a mask over
frequencies selects coefficients directly. Sorensen, Jones, Heideman & Burrus, "Real-valued fast Fourier
transform algorithms" (IEEE Trans. ASSP, 1987).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

_SQRT2 = math.sqrt(2.0)
SELF, COS, SIN = 0, 1, 2


def _dims(ndim: int) -> tuple[int, ...]:
    if ndim < 1:
        raise ValueError(f"the real Fourier transform needs ndim >= 1, got {ndim}")
    return tuple(range(-ndim, 0))


def conjugate_frequencies(t: Tensor, ndim: int) -> Tensor:
    """t[..., -k] (indices mod the axis lengths) over the last ``ndim`` axes: the value at the partner frequency."""
    dims = _dims(ndim)
    return torch.roll(torch.flip(t, dims), shifts=(1,) * ndim, dims=dims)


@lru_cache(maxsize=64)
def _roles(shape: tuple[int, ...], device: str) -> Tensor:
    flat = torch.arange(math.prod(shape), device=device).reshape(shape)
    partner = conjugate_frequencies(flat, len(shape))
    return torch.where(flat < partner, COS, torch.where(flat > partner, SIN, SELF))


def frequency_roles(shape: tuple[int, ...], device: torch.device | str = "cpu") -> Tensor:
    """Per frequency of a grid of ``shape``: SELF (0, self-conjugate), COS (1, lower index of a pair), SIN (2)."""
    return _roles(tuple(int(s) for s in shape), str(torch.device(device)))


def spectrum_to_real(spectrum: Tensor, ndim: int) -> Tensor:
    """Real orthonormal coefficients from a conjugate-symmetric unitary spectrum over the last ``ndim`` axes."""
    roles = frequency_roles(tuple(spectrum.shape[-ndim:]), spectrum.device)
    re, im = spectrum.real, spectrum.imag
    return torch.where(roles == COS, _SQRT2 * re, torch.where(roles == SIN, _SQRT2 * im, re))


def real_to_spectrum(coeffs: Tensor, ndim: int) -> Tensor:
    """The conjugate-symmetric unitary spectrum with real orthonormal coefficients ``coeffs`` (inverse map)."""
    roles = frequency_roles(tuple(coeffs.shape[-ndim:]), coeffs.device)
    partner = conjugate_frequencies(coeffs, ndim)
    re = torch.where(roles == COS, coeffs / _SQRT2, torch.where(roles == SIN, partner / _SQRT2, coeffs))
    im = torch.where(
        roles == COS, -partner / _SQRT2, torch.where(roles == SIN, coeffs / _SQRT2, torch.zeros_like(coeffs))
    )
    return torch.complex(re, im)


def real_fourier(x: Tensor, ndim: int = 2) -> Tensor:
    """Real orthonormal Fourier coefficients of real ``x`` over its last ``ndim`` axes (same shape as x)."""
    return spectrum_to_real(torch.fft.fftn(x, dim=_dims(ndim), norm="ortho"), ndim)


def inverse_real_fourier(coeffs: Tensor, ndim: int = 2) -> Tensor:
    """The real signal with real orthonormal Fourier coefficients ``coeffs`` (the transpose of :func:`real_fourier`)."""
    return torch.fft.ifftn(real_to_spectrum(coeffs, ndim), dim=_dims(ndim), norm="ortho").real
