"""Partial Fourier sampling (MRI-style): observe selected coefficients of the real orthonormal Fourier transform."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator, as_shape, fmt_shape
from sciddiff.operators.mask import as_bool_mask
from sciddiff.operators.real_fourier import conjugate_frequencies, inverse_real_fourier, real_fourier


class PartialFourier(LinearOperator):
    """y = the real orthonormal Fourier coefficients of x at the sampled frequencies (gathered, row-major).

    ``mask`` is over the frequency grid (H, W) (or (N,) for 1-D signals) in numpy.fft order, DC at index 0
    (``torch.fft.fftshift`` it to display). For a real image, k-space samples come in conjugate pairs
    X[-k] = conj(X[k]), so observing k-space at a conjugate-symmetric mask is equivalent to observing the real
    coefficients there; the mask must be conjugate-symmetric (else ValueError), or pass ``symmetrize=True`` to
    also sample the partner of every sampled frequency. Leading axes of in_shape are channels, all sampled
    at the same frequencies. Exact SVD: V^T = sampled coefficients first, s = 1, U = I. Lustig, Donoho & Pauly,
    "Sparse MRI" (Magn. Reson. Med. 2007).
    """

    has_svd = True

    def __init__(self, mask: Tensor, in_shape: Sequence[int] | None = None, symmetrize: bool = False) -> None:
        mask = as_bool_mask(mask)
        ndim = mask.dim()
        in_shape = tuple(mask.shape) if in_shape is None else as_shape(in_shape, "in_shape")
        if len(in_shape) < ndim or in_shape[-ndim:] != tuple(mask.shape):
            raise ValueError(
                f"frequency mask of shape {fmt_shape(mask.shape)} does not match the last {ndim} axes of "
                f"in_shape {fmt_shape(in_shape)}"
            )
        partner = conjugate_frequencies(mask, ndim)
        if symmetrize:
            mask = mask | partner
        elif not bool((mask == partner).all()):
            bad = torch.nonzero(mask & ~partner)
            raise ValueError(
                f"frequency mask is not conjugate-symmetric: {bad.shape[0]} frequencies are sampled without their "
                f"partner -k, e.g. {tuple(bad[0].tolist())}; pass symmetrize=True to add the partners"
            )
        self.mask, self.ndim = mask, ndim
        self.sampled = torch.nonzero(mask.reshape(-1)).reshape(-1)
        self._perm = torch.cat([self.sampled, torch.nonzero(~mask.reshape(-1)).reshape(-1)])
        self._lead = in_shape[:-ndim]
        super().__init__(in_shape, (*self._lead, self.sampled.numel()))

    def _coeffs(self, x: Tensor) -> Tensor:
        """(B, *lead, n_freq) real Fourier coefficients."""
        return real_fourier(x, self.ndim).reshape(x.shape[0], *self._lead, -1)

    def _signal(self, c: Tensor) -> Tensor:
        return inverse_real_fourier(c.reshape(c.shape[0], *self.in_shape), self.ndim)

    def forward(self, x: Tensor) -> Tensor:
        return self._coeffs(x).index_select(-1, self.sampled.to(x.device))

    def adjoint(self, y: Tensor) -> Tensor:
        full = y.new_zeros(*y.shape[:-1], self.mask.numel())
        return self._signal(full.index_copy(-1, self.sampled.to(y.device), y))

    def singular_values(self) -> Tensor:
        return torch.ones(self.out_dim, dtype=torch.float64, device=self.mask.device)

    def v_t(self, x: Tensor) -> Tensor:
        c = self._coeffs(x).reshape(x.shape[0], -1, self.mask.numel())
        c = c.index_select(-1, self._perm.to(x.device))
        k = self.sampled.numel()
        return torch.cat([c[..., :k].reshape(x.shape[0], -1), c[..., k:].reshape(x.shape[0], -1)], dim=1)

    def v(self, c: Tensor) -> Tensor:
        b, k, n = c.shape[0], self.sampled.numel(), self.mask.numel()
        lead = self.out_dim // k if k else self.in_dim // n
        ordered = torch.cat([c[:, : lead * k].reshape(b, lead, k), c[:, lead * k :].reshape(b, lead, n - k)], dim=2)
        full = ordered.new_zeros(b, lead, n).index_copy(-1, self._perm.to(c.device), ordered)
        return self._signal(full)

    def u_t(self, y: Tensor) -> Tensor:
        return y.reshape(y.shape[0], self.out_dim)

    def u(self, c: Tensor) -> Tensor:
        return c.reshape(c.shape[0], *self.out_shape)

    def _repr_args(self) -> str:
        return f"sampled={self.sampled.numel()}/{self.mask.numel()}, in_shape={self.in_shape}"
