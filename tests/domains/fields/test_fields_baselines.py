"""Classical baselines against exact answers: closed-form Tikhonov, exact Wiener inversion, TV limits and
scikit-image's TV denoiser, interpolation of linear fields, bicubic interpolation nodes, FBP on a disc."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.spatial
import torch
from sciddiff.domains.fields.baselines import (
    bicubic,
    bicubic_upsample,
    divergence,
    filtered_back_projection,
    gradient,
    interpolate_masked,
    interpolate_sensors,
    operator_norm,
    tikhonov_cg,
    total_variation,
    tv_reconstruct,
    wiener_deconvolution,
    zero_filled,
)
from sciddiff.domains.fields.simulators.phantoms import Ellipse, rasterize
from skimage.restoration import denoise_tv_chambolle

from sciddiff.operators import Blur, Downsample, Identity, Mask, Matrix, PartialFourier, Radon

F64 = torch.float64


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def test_tikhonov_cg_matches_the_dense_closed_form() -> None:
    a = randn(30, 36, seed=1)
    op = Matrix(a, (6, 6))
    y, x0 = randn(3, 30, seed=2), randn(6, 6, seed=3)
    for lam in (1e-3, 0.5):
        got = tikhonov_cg(op, y, lam, x0=x0)
        rhs = a.T @ y.T + lam * x0.reshape(-1, 1)
        exact = torch.linalg.solve(a.T @ a + lam * torch.eye(36, dtype=F64), rhs).T.reshape(3, 6, 6)
        torch.testing.assert_close(got, exact, rtol=0, atol=1e-8)
    radon = Radon(8, views=6)
    sino = radon(randn(1, 8, 8, seed=4))[0]
    dense = radon.dense()
    exact = torch.linalg.solve(dense.T @ dense + 0.1 * torch.eye(64, dtype=F64), dense.T @ sino.reshape(-1))
    torch.testing.assert_close(tikhonov_cg(radon, sino, 0.1), exact.reshape(8, 8), rtol=0, atol=1e-8)


def test_wiener_with_zero_noise_inverts_an_invertible_blur_exactly() -> None:
    kernel = torch.tensor([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]], dtype=F64)  # |K| >= 0.2
    op = Blur(kernel, (2, 16, 16))
    x = randn(3, 2, 16, 16, seed=5)
    torch.testing.assert_close(wiener_deconvolution(op, op(x), nsr=0.0), x, rtol=0, atol=1e-12)
    # nsr > 0 shrinks each frequency by |K|^2 / (|K|^2 + nsr): the DC of a constant image by 1 / (1 + nsr)
    ones = torch.ones(1, 2, 16, 16, dtype=F64)
    torch.testing.assert_close(wiener_deconvolution(op, op(ones), nsr=0.25), ones / 1.25, rtol=0, atol=1e-12)
    box = Blur(torch.full((2, 2), 0.25, dtype=F64), (8, 8))  # vanishes at the Nyquist frequency
    with pytest.raises(ValueError, match="vanishes"):
        wiener_deconvolution(box, torch.zeros(8, 8, dtype=F64), nsr=0.0)


def test_zero_filled_is_the_pseudo_inverse_of_partial_fourier() -> None:
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:3, :3] = True
    op = PartialFourier(mask, symmetrize=True)
    x = randn(2, 8, 8, seed=6)
    y = op(x)
    torch.testing.assert_close(zero_filled(op, y), op.pinv(y), rtol=0, atol=1e-12)
    torch.testing.assert_close(op(zero_filled(op, y)), y, rtol=0, atol=1e-12)  # consistent with the data
    full = PartialFourier(torch.ones(8, 8, dtype=torch.bool))
    torch.testing.assert_close(zero_filled(full, full(x)), x, rtol=0, atol=1e-12)


def test_gradient_and_divergence_are_negative_adjoints() -> None:
    x, q = randn(2, 5, 7, seed=7), randn(2, 2, 5, 7, seed=8)
    assert abs(float((gradient(x) * q).sum() + (x * divergence(q)).sum())) < 1e-12
    ramp = torch.arange(5, dtype=F64)[:, None].expand(5, 7)[None]  # slope 1 along y: TV = 4 rows x 7 columns
    assert abs(float(total_variation(ramp)[0]) - 28.0) < 1e-12


def test_tv_limits_and_agreement_with_scikit_image() -> None:
    a = torch.eye(36, dtype=F64) + 0.05 * randn(36, 36, seed=9)
    op = Matrix(a, (6, 6))
    x_true = torch.rand(2, 6, 6, generator=torch.Generator().manual_seed(10), dtype=F64)
    y = op(x_true)
    torch.testing.assert_close(tv_reconstruct(op, y, lam=1e-9, n_iter=300), x_true, rtol=0, atol=1e-6)
    flat = tv_reconstruct(op, y, lam=100.0, n_iter=500)
    a1 = op(torch.ones(1, 6, 6, dtype=F64))
    best_constant = (a1 * y).sum(1) / (a1 * a1).sum()
    torch.testing.assert_close(flat, best_constant[:, None, None].expand(2, 6, 6), rtol=0, atol=1e-8)
    noisy = torch.rand(1, 16, 16, generator=torch.Generator().manual_seed(11), dtype=F64)
    ours = tv_reconstruct(Identity((16, 16)), noisy, lam=0.1, n_iter=1000)[0].numpy()
    reference = denoise_tv_chambolle(noisy[0].numpy(), weight=0.1, eps=1e-12, max_num_iter=20000)
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_tv_nonnegativity_and_operator_norm() -> None:
    op = Identity((6, 6))
    y = -torch.ones(6, 6, dtype=F64)
    assert float(tv_reconstruct(op, y, lam=0.1, n_iter=50, nonnegative=True).min()) == 0.0
    a = randn(20, 16, seed=12)
    assert abs(operator_norm(Matrix(a, (4, 4))) - float(torch.linalg.matrix_norm(a, 2))) < 1e-6


def test_interpolation_is_exact_for_linear_fields_inside_the_hull() -> None:
    rng = np.random.default_rng(13)
    points = rng.uniform(0, 1, (60, 2))
    field = lambda yy, xx: 2.0 * yy - 3.0 * xx + 0.5  # noqa: E731
    axis = np.linspace(0, 1, 21)
    out = interpolate_sensors(points, field(points[:, 0], points[:, 1]), axis, axis)
    gy, gx = np.meshgrid(axis, axis, indexing="ij")
    inside = scipy.spatial.Delaunay(points).find_simplex(np.stack([gy, gx], -1)) >= 0
    np.testing.assert_allclose(out[inside], field(gy, gx)[inside], atol=1e-12)
    corner = np.argmin(((points - [0.0, 0.0]) ** 2).sum(1))  # outside the hull: the nearest sensor's value
    assert not inside[0, 0] and out[0, 0] == field(*points[corner])


def test_masked_interpolation_uses_grid_coordinates() -> None:
    mask = Mask.random((12, 12), 0.3, seed=14).mask.clone()
    mask[[0, 0, -1, -1], [0, -1, 0, -1]] = True  # the corners make the hull the whole grid
    op = Mask(mask)
    ys, xs = np.linspace(0, 1, 12), np.linspace(0, 2, 12)
    field = torch.as_tensor(4.0 * ys[:, None] + 1.5 * xs[None, :])[None]
    torch.testing.assert_close(interpolate_masked(op, op(field), (ys, xs)), field, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="non-finite"):
        interpolate_masked(op, torch.full((op.out_dim,), math.nan, dtype=F64))


def test_bicubic_hits_the_samples_and_uses_keys_kernel() -> None:
    y = randn(2, 6, 6, seed=15)
    up = bicubic_upsample(y, 3)  # output pixel 3k + 1 sits exactly on input sample k
    torch.testing.assert_close(up[:, 1::3, 1::3], y, rtol=0, atol=1e-12)

    def keys(t: float, a: float = -0.75) -> float:
        t = abs(t)
        return (a + 2) * t**3 - (a + 3) * t**2 + 1 if t <= 1 else a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a

    row = torch.zeros(1, 1, 8, dtype=F64)
    row[0, 0, 3] = 1.0  # an impulse: the upsampled values are the kernel at the offsets
    out = bicubic_upsample(row.expand(1, 8, 8).clone(), 3)[0, 5, 9:12]  # input positions 3 + (-1/3, 0, 1/3)
    torch.testing.assert_close(out, torch.tensor([keys(-1 / 3), 1.0, keys(1 / 3)], dtype=F64), rtol=0, atol=1e-12)
    op = Downsample(4, (3, 16, 16))
    ones = torch.ones(2, 3, 16, 16, dtype=F64)
    torch.testing.assert_close(bicubic(op, op(ones)), ones, rtol=0, atol=1e-12)


def test_fbp_reconstructs_a_disc() -> None:
    size = 64
    op = Radon(size, views=90)
    disc = torch.as_tensor(rasterize([Ellipse(1.0, 0.5, 0.5)], size, supersample=4))
    rec = filtered_back_projection(op, op(disc[None])[0])
    assert float((rec - disc).norm() / disc.norm()) < 0.1
    assert abs(float(rec[24:40, 24:40].mean()) - 1.0) < 0.02
    assert float(rec[:6, :6].abs().max()) < 0.05
    with pytest.raises(ValueError, match="Radon"):
        filtered_back_projection(Identity((4, 4)), torch.zeros(4, 4))  # type: ignore[arg-type]
