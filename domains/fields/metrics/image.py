"""Image quality metrics per sample: PSNR, SSIM (Gaussian window) and relative L2 error.

Inputs are batches (B, C, H, W) or (B, H, W) of the same shape; each metric returns a (B,) float64 tensor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _pair(x: Tensor, ref: Tensor) -> tuple[Tensor, Tensor]:
    x, ref = torch.as_tensor(x), torch.as_tensor(ref)
    if x.shape != ref.shape:
        raise ValueError(f"image shapes differ: {tuple(x.shape)} vs reference {tuple(ref.shape)}")
    if x.dim() not in (3, 4):
        raise ValueError(f"images must be batches (B, C, H, W) or (B, H, W), got shape {tuple(x.shape)}")
    return x.to(torch.float64), ref.to(torch.float64)


def _check_range(data_range: float) -> float:
    if not data_range > 0:
        raise ValueError(f"data_range must be > 0 (max - min of the image scale), got {data_range}")
    return float(data_range)


def psnr(x: Tensor, ref: Tensor, data_range: float) -> Tensor:
    """Peak signal-to-noise ratio 10 log10(data_range^2 / MSE) in dB, per sample (inf when x == ref)."""
    x, ref = _pair(x, ref)
    r = _check_range(data_range)
    mse = (x - ref).square().reshape(x.shape[0], -1).mean(1)
    return 10 * torch.log10(r**2 / mse)


def relative_l2(x: Tensor, ref: Tensor) -> Tensor:
    """||x - ref|| / ||ref|| per sample (any shape with a leading batch axis)."""
    x, ref = torch.as_tensor(x).to(torch.float64), torch.as_tensor(ref).to(torch.float64)
    if x.shape != ref.shape or x.dim() < 2:
        raise ValueError(f"need two batches of the same shape (B, ...), got {tuple(x.shape)} and {tuple(ref.shape)}")
    num = (x - ref).reshape(x.shape[0], -1).norm(dim=1)
    den = ref.reshape(ref.shape[0], -1).norm(dim=1)
    if bool((den == 0).any()):
        zero = torch.nonzero(den == 0)[:, 0].tolist()
        raise ValueError(f"relative L2 is undefined for reference samples that are all zero: samples {zero}")
    return num / den


def gaussian_window(sigma: float = 1.5, truncate: float = 3.5) -> Tensor:
    """The normalised 1-D Gaussian of radius int(truncate sigma + 0.5), as scipy.ndimage (11 taps at 1.5)."""
    radius = int(truncate * sigma + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


def ssim(x: Tensor, ref: Tensor, data_range: float, sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> Tensor:
    """Mean structural similarity per sample (averaged over channels), with local statistics under a Gaussian
    window of std ``sigma`` over the positions where it fits entirely (valid convolution):
    SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)), C_i = (k_i L)^2.
    Wang, Bovik, Sheikh & Simoncelli, "Image Quality Assessment: From Error Visibility to Structural
    Similarity", IEEE TIP 2004.
    """
    x, ref = _pair(x, ref)
    r = _check_range(data_range)
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    g = gaussian_window(sigma)
    if min(x.shape[-2:]) < g.numel():
        raise ValueError(f"images of size {tuple(x.shape[-2:])} are smaller than the {g.numel()}-pixel SSIM window")
    batch = x.shape[0]
    x = x.reshape(-1, 1, *x.shape[-2:])
    ref = ref.reshape(-1, 1, *ref.shape[-2:])

    def blur(z: Tensor) -> Tensor:
        return F.conv2d(F.conv2d(z, g.reshape(1, 1, -1, 1)), g.reshape(1, 1, 1, -1))

    mx, my = blur(x), blur(ref)
    vx, vy, cxy = blur(x * x) - mx**2, blur(ref * ref) - my**2, blur(x * ref) - mx * my
    c1, c2 = (k1 * r) ** 2, (k2 * r) ** 2
    s = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return s.reshape(batch, -1).mean(1)
