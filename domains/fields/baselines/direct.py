"""Direct reconstructions that reuse the operators: filtered back-projection, zero-filled inverse FFT,
Wiener deconvolution and bicubic upsampling."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from sciddiff.domains.fields.baselines.common import batched_observation, unbatch
from torch import Tensor

from sciddiff.operators import Blur, Downsample, PartialFourier, Radon


def filtered_back_projection(op: Radon, y: Tensor, filter: Literal["ramp", "hann"] = "ramp") -> Tensor:
    """FBP of a sinogram with the Radon operator's own ``fbp`` (Ram-Lak ramp, optional Hann window).
    Kak & Slaney, "Principles of Computerized Tomographic Imaging" (1988), ch. 3."""
    if not isinstance(op, Radon):
        raise ValueError(f"filtered back-projection needs a Radon operator, got {op!r}")
    yb, single = batched_observation(op, y)
    return unbatch(op.fbp(yb, filter=filter), single)


def zero_filled(op: PartialFourier, y: Tensor) -> Tensor:
    """Zero-filled inverse FFT: unobserved frequencies set to zero, x = A^T y (A has orthonormal rows, so this
    is also the minimum-norm solution A^+ y)."""
    if not isinstance(op, PartialFourier):
        raise ValueError(f"zero-filled reconstruction needs a PartialFourier operator, got {op!r}")
    yb, single = batched_observation(op, y)
    return unbatch(op.adjoint(yb), single)


def wiener_deconvolution(op: Blur, y: Tensor, nsr: float | Tensor) -> Tensor:
    """X = conj(K) Y / (|K|^2 + nsr) per frequency, K the blur's transfer function; ``nsr`` is the noise-to-signal
    power ratio (a scalar or a spectrum over the blur grid). nsr = 0 is the exact inverse of an invertible blur.
    Wiener, "Extrapolation, Interpolation, and Smoothing of Stationary Time Series" (1949); Gonzalez & Woods,
    "Digital Image Processing", ch. 5."""
    if not isinstance(op, Blur):
        raise ValueError(f"Wiener deconvolution needs a Blur operator, got {op!r}")
    yb, single = batched_observation(op, y)
    nsr = torch.as_tensor(nsr, dtype=torch.float64)
    if bool((nsr < 0).any()):
        raise ValueError(f"the noise-to-signal ratio must be >= 0, got minimum {float(nsr.min())}")
    denom = op.magnitude**2 + nsr
    if bool((denom == 0).any()):
        raise ValueError(
            f"the blur's transfer function vanishes at {int((denom == 0).sum())} frequencies; nsr = 0 cannot "
            "invert it, use nsr > 0"
        )
    dims = tuple(range(-op.ndim, 0))
    spec = torch.fft.fftn(yb.to(torch.float64), dim=dims) * op.transfer.conj() / denom
    return unbatch(torch.fft.ifftn(spec, dim=dims).real.to(yb.dtype), single)


def bicubic_upsample(y: Tensor, factor: int) -> Tensor:
    """Bicubic interpolation (Keys' kernel, a = -0.75, ``torch.nn.functional.interpolate``) of (B, C, h, w) or
    (B, h, w) images to factor times their size, with pixel centres aligned as block means expect
    (``align_corners=False``). Keys, "Cubic Convolution Interpolation for Digital Image Processing" (1981)."""
    if factor < 1:
        raise ValueError(f"upsampling factor must be an integer >= 1, got {factor}")
    y = torch.as_tensor(y)
    if y.dim() not in (3, 4):
        raise ValueError(f"bicubic upsampling takes (B, C, h, w) or (B, h, w) images, got shape {tuple(y.shape)}")
    x = y[:, None] if y.dim() == 3 else y
    out = F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False)
    return out[:, 0] if y.dim() == 3 else out


def bicubic(op: Downsample, y: Tensor) -> Tensor:
    """Bicubic upsampling of a block-mean downsampled observation back to the operator's input grid."""
    if not isinstance(op, Downsample) or op.ndim != 2:
        raise ValueError(f"bicubic upsampling needs a 2-D Downsample operator, got {op!r}")
    yb, single = batched_observation(op, y)
    flat = yb.reshape(-1, 1, *yb.shape[-2:])
    up = bicubic_upsample(flat, op.factor).reshape(yb.shape[0], *op.in_shape)
    return unbatch(up, single)
