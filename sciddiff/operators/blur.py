"""Circular convolution (deblurring) by FFT, with its exact SVD in the real orthonormal Fourier basis."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, as_shape, fmt_shape
from sciddiff.operators.real_fourier import (
    conjugate_frequencies,
    frequency_roles,
    inverse_real_fourier,
    real_fourier,
    real_to_spectrum,
    spectrum_to_real,
)


class Blur(LinearOperator):
    """y = k (*) x: circular convolution over the last two axes (a 2-D kernel) or the last axis (a 1-D kernel).

    y[i] = sum_a k[a] x[(i - a + c) mod n], c = kernel centre (size // 2 per axis); leading axes are channels.
    With K = DFT of the zero-padded, centred kernel, A = F^* diag(K) F. SVD: V^T = the real orthonormal
    Fourier transform, s = |K| (per channel), U = F^T R where R rotates each (cos, sin) pair by the phase of K
    (U = V for symmetric kernels). Hansen, Nagy & O'Leary, "Deblurring Images: Matrices, Spectra, and Filtering"
    (SIAM 2006), ch. 4.
    """

    has_svd = True

    def __init__(self, kernel: Tensor, in_shape: Sequence[int]) -> None:
        kernel = torch.as_tensor(kernel)
        if not kernel.is_floating_point():
            kernel = kernel.to(torch.float64)
        in_shape = as_shape(in_shape, "in_shape")
        ndim = kernel.dim()
        if ndim not in (1, 2):
            raise ValueError(f"Blur needs a 1-D or 2-D kernel, got shape {fmt_shape(kernel.shape)}")
        if len(in_shape) < ndim or any(k > n for k, n in zip(kernel.shape, in_shape[-ndim:], strict=True)):
            raise ValueError(
                f"kernel of shape {fmt_shape(kernel.shape)} does not fit the last {ndim} axes of in_shape "
                f"{fmt_shape(in_shape)}"
            )
        if not bool(torch.isfinite(kernel).all()):
            raise ValueError("Blur kernel has non-finite entries")
        super().__init__(in_shape, in_shape)
        self.kernel, self.ndim = kernel, ndim
        grid = in_shape[-ndim:]
        padded = torch.zeros(grid, dtype=torch.float64, device=kernel.device)
        offsets = [(torch.arange(k) - k // 2) % n for k, n in zip(kernel.shape, grid, strict=True)]
        padded[torch.meshgrid(*offsets, indexing="ij")] = kernel.to(torch.float64)
        transfer = torch.fft.fftn(padded, dim=self._dims)
        # enforce exact conjugate symmetry (real kernel), so U is exactly orthogonal
        transfer = 0.5 * (transfer + conjugate_frequencies(transfer, ndim).conj())
        transfer = torch.where(frequency_roles(grid, kernel.device) == 0, transfer.real + 0j, transfer)
        mag = transfer.abs()
        self.transfer = transfer
        self.magnitude = mag
        self.phase = torch.where(mag > 0, transfer / torch.where(mag > 0, mag, 1.0), torch.ones_like(transfer))

    @classmethod
    def gaussian(cls, in_shape: Sequence[int], sigma: float, size: int | None = None, ndim: int = 2) -> Blur:
        """Normalised isotropic Gaussian kernel of std ``sigma`` pixels on a (size,) * ndim grid (default odd,
        about 6 sigma wide)."""
        if sigma <= 0:
            raise ValueError(f"Gaussian blur needs sigma > 0, got {sigma}")
        size = size or 2 * math.ceil(3 * sigma) + 1
        t = torch.arange(size, dtype=torch.float64) - size // 2
        g = torch.exp(-0.5 * (t / sigma) ** 2)
        k = g if ndim == 1 else g[:, None] * g[None, :]
        return cls(k / k.sum(), in_shape)

    @property
    def _dims(self) -> tuple[int, ...]:
        return tuple(range(-self.ndim, 0))

    def _filter(self, x: Tensor, h: Tensor) -> Tensor:
        spec = torch.fft.fftn(x, dim=self._dims)
        return torch.fft.ifftn(spec * h.to(device=x.device, dtype=spec.dtype), dim=self._dims).real

    def forward(self, x: Tensor) -> Tensor:
        return self._filter(x, self.transfer)

    def adjoint(self, y: Tensor) -> Tensor:
        return self._filter(y, self.transfer.conj())

    def singular_values(self) -> Tensor:
        return self.magnitude.expand(self.in_shape).reshape(-1)

    def v_t(self, x: Tensor) -> Tensor:
        return real_fourier(x, self.ndim).reshape(x.shape[0], -1)

    def v(self, c: Tensor) -> Tensor:
        return inverse_real_fourier(c.reshape(c.shape[0], *self.in_shape), self.ndim)

    def u_t(self, y: Tensor) -> Tensor:
        spec = torch.fft.fftn(y, dim=self._dims, norm="ortho")
        rotated = spec * self.phase.conj().to(device=y.device, dtype=spec.dtype)
        return spectrum_to_real(rotated, self.ndim).reshape(y.shape[0], -1)

    def u(self, c: Tensor) -> Tensor:
        spec = real_to_spectrum(c.reshape(c.shape[0], *self.out_shape), self.ndim)
        rotated = spec * self.phase.to(device=c.device, dtype=spec.dtype)
        return torch.fft.ifftn(rotated, dim=self._dims, norm="ortho").real

    def _repr_args(self) -> str:
        return f"kernel={tuple(self.kernel.shape)}, in_shape={self.in_shape}"
