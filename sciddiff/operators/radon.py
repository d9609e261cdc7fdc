"""Parallel-beam Radon transform (computed tomography) as an explicit sparse matrix, plus filtered back-projection."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import scipy.sparse
import torch
from torch import Tensor

from sciddiff.operators.base import LinearOperator


def radon_matrix(size: int, angles: np.ndarray, detectors: int, step: float) -> scipy.sparse.csr_matrix:
    """(views * detectors, size * size) matrix of line integrals of the bilinear interpolant of the image.

    Pixel (i, j) sits at (x, y) = (j - c, i - c), c = (size - 1) / 2; detector d at s = d - (detectors - 1) / 2.
    Ray (theta, s) is {s (cos, sin) + t (-sin, cos)}; its integral is sum_t f(point(t)) * step over t in a
    symmetric grid of spacing ``step`` covering the image, with f bilinear inside the pixel-centre square and
    zero outside.
    """
    c = (size - 1) / 2
    s = np.arange(detectors) - (detectors - 1) / 2
    half = math.ceil((math.sqrt(2) * size / 2 + 1) / step)
    t = np.arange(-half, half + 1) * step
    blocks = []
    for cos, sin in zip(np.cos(angles), np.sin(angles), strict=True):
        col = (s[:, None] * cos - t[None, :] * sin + c).ravel()
        row = (s[:, None] * sin + t[None, :] * cos + c).ravel()
        ray = np.repeat(np.arange(detectors), t.size)
        j0, i0 = np.floor(col), np.floor(row)
        wj, wi = col - j0, row - i0
        rays, cols, vals = [], [], []
        for di, dj, w in ((0, 0, (1 - wi) * (1 - wj)), (0, 1, (1 - wi) * wj), (1, 0, wi * (1 - wj)), (1, 1, wi * wj)):
            ii, jj = i0 + di, j0 + dj
            ok = (ii >= 0) & (ii < size) & (jj >= 0) & (jj < size) & (w > 0)
            rays.append(ray[ok])
            cols.append((ii[ok] * size + jj[ok]).astype(np.int64))
            vals.append(w[ok] * step)
        coo = scipy.sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rays), np.concatenate(cols))), shape=(detectors, size * size)
        )
        blocks.append(coo.tocsr())  # sums duplicate entries
    return scipy.sparse.vstack(blocks, format="csr")


def _to_torch_sparse(m: scipy.sparse.csr_matrix, dtype: torch.dtype, device: torch.device) -> Tensor:
    coo = m.tocoo()
    indices = torch.as_tensor(np.stack([coo.row, coo.col]), dtype=torch.int64)
    return torch.sparse_coo_tensor(
        indices, torch.as_tensor(coo.data), size=m.shape, is_coalesced=True, check_invariants=False
    ).to(dtype=dtype, device=device)


class _SparseApply(torch.autograd.Function):
    """x -> (A x^T)^T for flat x (N, n); gradients and tangents through the stored exact transpose."""

    @staticmethod
    def forward(x: Tensor, a: Tensor, a_t: Tensor) -> Tensor:  # type: ignore[override]
        return (a @ x.T.contiguous()).T

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, Tensor, Tensor], output: Tensor) -> None:
        ctx.a, ctx.a_t = inputs[1], inputs[2]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        return _SparseApply.apply(grad, ctx.a_t, ctx.a), None, None

    @staticmethod
    def jvp(ctx: Any, x_dot: Tensor, a_dot: Any, a_t_dot: Any) -> Tensor:
        return _SparseApply.apply(x_dot, ctx.a, ctx.a_t)


class Radon(LinearOperator):
    """Parallel-beam Radon transform of (*channels, size, size) images into (*channels, views, detectors) sinograms.

    Angles theta_k = k pi / views; line integrals of the bilinear image interpolant, sampled every ``step``
    pixels along each ray (see :func:`radon_matrix`). The matrix is built once and stored sparse with its exact
    transpose, so ``adjoint`` is exactly A^T. No fast SVD: use ``with_dense_svd()`` for small sizes.
    Kak & Slaney, "Principles of Computerized Tomographic Imaging" (IEEE Press 1988), ch. 3.
    """

    def __init__(
        self,
        size: int,
        views: int,
        detectors: int | None = None,
        channels: tuple[int, ...] = (),
        step: float = 0.5,
    ) -> None:
        if size < 1 or views < 1:
            raise ValueError(f"Radon needs size >= 1 and views >= 1, got size={size}, views={views}")
        detectors = math.ceil(size * math.sqrt(2)) if detectors is None else int(detectors)
        if detectors < 1 or not step > 0:
            raise ValueError(f"Radon needs detectors >= 1 and step > 0, got detectors={detectors}, step={step}")
        channels = tuple(int(c) for c in channels)
        super().__init__((*channels, size, size), (*channels, views, detectors))
        self.size, self.views, self.detectors, self.step = size, views, detectors, step
        self.angles = torch.arange(views, dtype=torch.float64) * math.pi / views
        matrix = radon_matrix(size, self.angles.numpy(), detectors, step)
        self._scipy = matrix
        self._cache: dict[tuple[torch.dtype, torch.device], tuple[Tensor, Tensor]] = {}
        self._matrices(torch.float64, torch.device("cpu"))

    def _matrices(self, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, Tensor]:
        key = (dtype, device)
        if key not in self._cache:
            a = self._scipy
            self._cache[key] = (_to_torch_sparse(a, dtype, device), _to_torch_sparse(a.T.tocsr(), dtype, device))
        return self._cache[key]

    def _apply(self, x: Tensor, transpose: bool, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Tensor:
        a, a_t = self._matrices(x.dtype, x.device)
        lead = x.shape[: x.dim() - 2]
        flat = x.reshape(-1, in_shape[-2] * in_shape[-1])
        out = _SparseApply.apply(flat, a_t, a) if transpose else _SparseApply.apply(flat, a, a_t)
        return out.reshape(*lead, *out_shape[-2:])

    def forward(self, x: Tensor) -> Tensor:
        return self._apply(x, False, self.in_shape, self.out_shape)

    def adjoint(self, y: Tensor) -> Tensor:
        return self._apply(y, True, self.out_shape, self.in_shape)

    def fbp(self, sinogram: Tensor, filter: Literal["ramp", "hann"] = "ramp") -> Tensor:
        """Filtered back-projection: f(x, y) = (pi / views) sum_k (p_k * h)(x cos theta_k + y sin theta_k).

        h is the band-limited ramp filter sampled in space (Ram-Lak: h[0] = 1/4, h[n] = -1/(pi n)^2 for odd n,
        0 for even n; Kak & Slaney eq. 3.61), optionally apodised by a Hann window in frequency; convolution by
        zero-padded FFT, back-projection by linear interpolation between detectors. Accepts out_shape or
        (B, *out_shape) and returns the matching image shape.
        """
        self.check_observation(sinogram)
        if filter not in ("ramp", "hann"):
            raise ValueError(f"filter must be 'ramp' or 'hann', got {filter!r}")
        d, k = self.detectors, self.views
        lead = sinogram.shape[:-2]
        p = sinogram.reshape(-1, k, d)
        n = 1 << math.ceil(math.log2(2 * d))
        idx = torch.arange(n, dtype=p.dtype, device=p.device)
        offset = torch.where(idx < n // 2, idx, idx - n)
        h = torch.where(offset.remainder(2) == 1, -1.0 / (math.pi * offset) ** 2, torch.zeros_like(offset))
        h[0] = 0.25
        response = torch.fft.fft(h).real
        if filter == "hann":
            response = response * 0.5 * (1 + torch.cos(2 * math.pi * torch.fft.fftfreq(n, dtype=p.dtype)))
        q = torch.fft.ifft(torch.fft.fft(p, n=n, dim=-1) * response, dim=-1).real[..., :d]
        c = (self.size - 1) / 2
        coord = torch.arange(self.size, dtype=p.dtype, device=p.device) - c
        ang = self.angles.to(dtype=p.dtype, device=p.device)
        s = coord[None, None, :] * ang.cos()[:, None, None] + coord[None, :, None] * ang.sin()[:, None, None]
        pos = (s + (d - 1) / 2).reshape(k, -1)  # (views, size*size), x along columns, y along rows
        lo = torch.floor(pos)
        w = pos - lo
        qpad = torch.nn.functional.pad(q, (1, 1))
        i0 = (lo + 1).clamp(0, d + 1).long().expand(q.shape[0], -1, -1)
        i1 = (lo + 2).clamp(0, d + 1).long().expand(q.shape[0], -1, -1)
        vals = torch.gather(qpad, 2, i0) * (1 - w) + torch.gather(qpad, 2, i1) * w
        image = vals.sum(1) * (math.pi / k)
        return image.reshape(*lead, self.size, self.size)

    def _repr_args(self) -> str:
        extra = f", channels={self.in_shape[:-2]}" if len(self.in_shape) > 2 else ""
        return f"views={self.views}, size={self.size}, detectors={self.detectors}{extra}"
