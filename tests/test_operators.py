"""Operators against exact answers: adjointness, dense forms, SVDs, pseudo-inverses and direct computations."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.operators import (
    OPERATORS,
    Aggregate,
    BlackBox,
    Blur,
    CountingOperator,
    Differentiable,
    Downsample,
    Identity,
    LinearOperator,
    Mask,
    Matrix,
    Operator,
    PartialFourier,
    Radon,
    check_operator,
    get_operator,
    inverse_real_fourier,
    real_fourier,
    stack,
    variable_density_mask,
)

F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int = 0) -> Tensor:
    return torch.randn(*shape, generator=gen(seed), dtype=F64)


def dot(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).reshape(a.shape[0], -1).sum(1)


def norm(a: Tensor) -> Tensor:
    return a.reshape(a.shape[0], -1).norm(dim=1)


def symmetric_mask_1d(n: int) -> Tensor:
    """Frequencies 0, +-1, +-3 of a length-n grid: conjugate-symmetric by construction."""
    m = torch.zeros(n, dtype=torch.bool)
    for k in (0, 1, 3):
        m[k] = m[-k % n] = True
    return m


# Every linear built-in at several shapes (float64). Radon has no fast SVD: its SVD checks use with_dense_svd().
LINEAR_CASES: dict[str, Callable[[], LinearOperator]] = {
    "identity_1d": lambda: Identity(5),
    "identity_3d": lambda: Identity((2, 3, 4)),
    "mask_random": lambda: Mask(torch.rand(4, 5, generator=gen(1)) < 0.5),
    "mask_forecast": lambda: Mask.forecast((6, 2), n_past=4),
    "blur_2d_channels": lambda: Blur(randn(3, 2, seed=2), (2, 6, 7)),
    "blur_2d_full_kernel": lambda: Blur(randn(5, 4, seed=3), (5, 4)),
    "blur_1d": lambda: Blur(randn(4, seed=4), (9,)),
    "blur_1d_zero_nyquist": lambda: Blur(torch.tensor([0.5, 0.5], dtype=F64), (2, 8)),
    "downsample_2x": lambda: Downsample(2, (3, 4, 6)),
    "downsample_4x": lambda: Downsample(4, (8, 4)),
    "downsample_1d": lambda: Downsample(3, (2, 9), ndim=1),
    "partial_fourier_random": lambda: PartialFourier(variable_density_mask((8, 6), 2.0, seed=1)),
    "partial_fourier_lines_channels": lambda: PartialFourier(
        variable_density_mask((6, 8), 2.0, pattern="lines", seed=2), (2, 6, 8)
    ),
    "partial_fourier_1d": lambda: PartialFourier(symmetric_mask_1d(9)),
    "radon": lambda: Radon(10, 4),
    "radon_channels": lambda: Radon(6, 3, detectors=7, channels=(2,)),
    "matrix_wide": lambda: Matrix(randn(5, 12, seed=5), in_shape=(3, 4)),
    "matrix_tall_rank_deficient": lambda: Matrix(randn(8, 2, seed=6) @ randn(2, 3, seed=7)),
    "aggregate_mean": lambda: Aggregate((14, 3), axis=0, window=7),
    "aggregate_sum_last_axis": lambda: Aggregate((4, 6), axis=-1, window=3, mode="sum"),
}


@pytest.fixture(params=list(LINEAR_CASES), ids=list(LINEAR_CASES))
def linear_op(request: pytest.FixtureRequest) -> LinearOperator:
    return LINEAR_CASES[request.param]()


@pytest.fixture(params=list(LINEAR_CASES), ids=list(LINEAR_CASES))
def svd_op(request: pytest.FixtureRequest) -> LinearOperator:
    op = LINEAR_CASES[request.param]()
    return op if op.has_svd else op.with_dense_svd()


# ----------------------------------------------------------------------------- every linear built-in
def test_adjointness(linear_op: LinearOperator) -> None:
    """<A x, y> = <x, A^T y> to 1e-10 relative (to |A x| |y|)."""
    x, y = randn(4, *linear_op.in_shape, seed=10), randn(4, *linear_op.out_shape, seed=11)
    ax, aty = linear_op(x), linear_op.adjoint(y)
    assert aty.shape == x.shape
    err = (dot(ax, y) - dot(x, aty)).abs() / (norm(ax) * norm(y))
    assert float(err.max()) < 1e-10


def test_dense_matches_forward(linear_op: LinearOperator) -> None:
    x = randn(3, *linear_op.in_shape, seed=12)
    a = linear_op.dense()
    assert a.shape == (linear_op.out_dim, linear_op.in_dim)
    torch.testing.assert_close(
        (x.reshape(3, -1) @ a.T).reshape(3, *linear_op.out_shape), linear_op(x), rtol=0, atol=1e-12
    )


def test_svd_reconstructs_forward(svd_op: LinearOperator) -> None:
    """u(pad(s * v_t(x)[:, :r])) == A x."""
    x = randn(3, *svd_op.in_shape, seed=13)
    torch.testing.assert_close(svd_op.svd_forward(x), svd_op(x), rtol=0, atol=1e-11)


def test_svd_factors_are_orthogonal(svd_op: LinearOperator) -> None:
    """V and U are orthogonal: round trips in both directions, norms preserved, and V^T V = I as matrices."""
    x, y = randn(3, *svd_op.in_shape, seed=14), randn(3, *svd_op.out_shape, seed=15)
    cx, cy = randn(3, svd_op.in_dim, seed=16), randn(3, svd_op.out_dim, seed=17)
    tol = {"rtol": 0, "atol": 1e-12}
    torch.testing.assert_close(svd_op.v(svd_op.v_t(x)), x, **tol)
    torch.testing.assert_close(svd_op.v_t(svd_op.v(cx)), cx, **tol)
    torch.testing.assert_close(svd_op.u(svd_op.u_t(y)), y, **tol)
    torch.testing.assert_close(svd_op.u_t(svd_op.u(cy)), cy, **tol)
    torch.testing.assert_close(norm(svd_op.v_t(x)), norm(x), **tol)
    torch.testing.assert_close(norm(svd_op.u_t(y)), norm(y), **tol)
    n, m = svd_op.in_dim, svd_op.out_dim
    vt = svd_op.v_t(torch.eye(n, dtype=F64).reshape(n, *svd_op.in_shape))  # row i = V^T e_i
    ut = svd_op.u_t(torch.eye(m, dtype=F64).reshape(m, *svd_op.out_shape))
    torch.testing.assert_close(vt.T @ vt, torch.eye(n, dtype=F64), **tol)
    torch.testing.assert_close(ut.T @ ut, torch.eye(m, dtype=F64), **tol)


def test_singular_values_match_dense_svd(svd_op: LinearOperator) -> None:
    """The singular values are those of torch.linalg.svd(dense()), compared as sorted multisets."""
    s = svd_op.singular_values()
    assert s.shape == (min(svd_op.in_dim, svd_op.out_dim),)
    assert bool((s >= 0).all())
    ref = torch.linalg.svdvals(svd_op.dense())
    torch.testing.assert_close(torch.sort(s, descending=True).values, ref, rtol=0, atol=1e-11)


def _pinv_matrix(op: LinearOperator, **options: float) -> Tensor:
    m = op.out_dim
    cols = op.pinv(torch.eye(m, dtype=F64).reshape(m, *op.out_shape), **options)  # row j = A^+ e_j
    return cols.reshape(m, op.in_dim).T


def _assert_penrose(a: Tensor, p: Tensor, tol: float) -> None:
    scale_a, scale_p = a.abs().max(), p.abs().max()
    assert float((a @ p @ a - a).abs().max()) < tol * scale_a
    assert float((p @ a @ p - p).abs().max()) < tol * scale_p
    assert float((a @ p - (a @ p).T).abs().max()) < tol
    assert float((p @ a - (p @ a).T).abs().max()) < tol


def test_pinv_penrose_conditions(svd_op: LinearOperator) -> None:
    """A+ from the exact SVD satisfies the four Penrose conditions to 1e-8."""
    a = svd_op.dense()
    p = _pinv_matrix(svd_op)
    _assert_penrose(a, p, 1e-8)
    torch.testing.assert_close(p, torch.linalg.pinv(a), rtol=0, atol=1e-8 * float(p.abs().max()))


@pytest.mark.parametrize("name", ["radon", "radon_channels"])
def test_pinv_by_conjugate_gradients(name: str) -> None:
    """Without an SVD, pinv runs CGLS from zero: the minimum-norm solution, Penrose conditions to 1e-8."""
    op = LINEAR_CASES[name]()
    assert not op.has_svd
    _assert_penrose(op.dense(), _pinv_matrix(op, tol=1e-14, max_iter=3000), 1e-8)


def test_pinv_unbatched_and_rtol() -> None:
    """pinv of one observation returns one image; singular values below rtol * s_max are dropped."""
    op = Blur(torch.tensor([0.5, 0.5], dtype=F64), (8,))  # zero response at the Nyquist frequency
    y = op(randn(1, 8, seed=20))[0]
    x = op.pinv(y)
    assert x.shape == (8,)
    alternating = torch.tensor([(-1.0) ** j for j in range(8)], dtype=F64)
    assert abs(float(x @ alternating)) < 1e-12  # no component in the null space
    torch.testing.assert_close(op(x[None])[0], y, rtol=0, atol=1e-12)


def test_float32_is_kept(linear_op: LinearOperator) -> None:
    x = randn(2, *linear_op.in_shape, seed=21).float()
    y = linear_op(x)
    assert y.dtype == torch.float32 and linear_op.adjoint(y).dtype == torch.float32
    torch.testing.assert_close(y.double(), linear_op(x.double()), rtol=1e-4, atol=1e-4)


def test_check_operator_passes_on_every_builtin(linear_op: LinearOperator) -> None:
    report = check_operator(linear_op, generator=0)
    assert report.passed, str(report)
    assert report.adjoint_error is not None and report.adjoint_error < 1e-12
    assert (report.svd_error is not None) == linear_op.has_svd


# ----------------------------------------------------------------------------- shapes and errors
def test_shape_errors_name_both_shapes() -> None:
    op = Radon(16, 6)
    with pytest.raises(ValueError, match=r"x has shape \(3, 64\); operator Radon\(views=6, size=16, detectors=23\)"):
        op(torch.zeros(3, 64))
    with pytest.raises(ValueError, match=r"y has shape \(3, 64\).*expects \(6, 23\) or \(B, 6, 23\)"):
        op.check_observation(torch.zeros(3, 64))
    op.check_observation(torch.zeros(6, 23))
    op.check_observation(torch.zeros(2, 6, 23))
    with pytest.raises(ValueError, match="dividing axis 0"):
        Downsample(4, (6, 8))
    with pytest.raises(ValueError, match="does not fit"):
        Blur(torch.ones(5, 5), (4, 8))
    with pytest.raises(ValueError, match="elements"):
        Matrix(torch.ones(3, 6), in_shape=(2, 2))
    with pytest.raises(ValueError, match="out_shape"):
        Differentiable(lambda x: x[:, :2], (3,), (3,))(torch.zeros(1, 3))


def test_registry() -> None:
    assert set(OPERATORS) == {
        "identity",
        "mask",
        "blur",
        "downsample",
        "partial_fourier",
        "radon",
        "matrix",
        "aggregate",
    }
    op = get_operator("downsample", factor=2, in_shape=(4, 4))
    assert isinstance(op, Downsample) and op.out_shape == (2, 2)
    with pytest.raises(ValueError, match="unknown operator 'blurr'"):
        get_operator("blurr")
    assert repr(Radon(8, 3)) == "Radon(views=3, size=8, detectors=12)"


# ----------------------------------------------------------------------------- composition and stacking
def test_composition_is_linear_with_adjoint() -> None:
    blur, down = Blur(randn(3, 3, seed=30), (8, 8)), Downsample(2, (8, 8))
    op = down @ blur
    assert isinstance(op, LinearOperator) and op.in_shape == (8, 8) and op.out_shape == (4, 4)
    torch.testing.assert_close(op.dense(), down.dense() @ blur.dense(), rtol=0, atol=1e-12)
    report = check_operator(op, generator=1)
    assert report.passed and report.adjoint_error < 1e-12
    with pytest.raises(ValueError, match=r"cannot compose .* takes \(8, 8\) but .* returns \(4, 4\)"):
        _ = blur @ down


def test_nonlinear_composition_chain_rule() -> None:
    """(f @ A): VJP and JVP equal A^T (f'(A x) v) and f'(A x) A u."""
    a = Matrix(randn(4, 6, seed=31))
    f = Differentiable(torch.tanh, (4,), (4,))
    op = f @ a
    assert not op.linear and op.differentiable
    x, u, v = randn(2, 6, seed=32), randn(2, 6, seed=33), randn(2, 4, seed=34)
    deriv = 1 - torch.tanh(a(x)) ** 2
    torch.testing.assert_close(op.jvp(x, u), deriv * a(u), rtol=0, atol=1e-13)
    torch.testing.assert_close(op.vjp(x, v), a.adjoint(deriv * v), rtol=0, atol=1e-13)
    assert check_operator(op, generator=2).passed


def test_stack() -> None:
    """stack: flattened outputs concatenated; dense is the vertical stack; adjoint exact; shape errors."""
    mask, down = Mask(torch.rand(4, 6, generator=gen(40)) < 0.5), Downsample(2, (4, 6))
    op = stack(mask, down)
    assert isinstance(op, LinearOperator) and op.out_shape == (mask.out_dim + 6,)
    torch.testing.assert_close(op.dense(), torch.cat([mask.dense(), down.dense()]), rtol=0, atol=0)
    assert check_operator(op, generator=3).adjoint_error < 1e-12
    x = randn(2, 4, 6, seed=41)
    parts = op.split(op(x))
    torch.testing.assert_close(parts[1], down(x))
    nonlinear = stack(mask, Differentiable(lambda t: t**2, (4, 6), (4, 6)))
    assert not nonlinear.linear and check_operator(nonlinear, generator=4).passed
    with pytest.raises(ValueError, match="must share in_shape"):
        stack(mask, Identity((5,)))


# ----------------------------------------------------------------------------- built-ins against direct computations
def test_mask_gathers_observed_values() -> None:
    m = torch.tensor([[True, False, True], [False, False, True]])
    op = Mask(m)
    x = torch.arange(12, dtype=F64).reshape(2, 2, 3)
    assert op.out_shape == (3,)
    torch.testing.assert_close(op(x), torch.tensor([[0.0, 2, 5], [6, 8, 11]], dtype=F64))
    torch.testing.assert_close(op.adjoint(op(x)), x * m)


def test_mask_forecast_of_a_series() -> None:
    """Mask of the past on a (T, C) series: observes the first n_past steps of every channel."""
    op = Mask.forecast((10, 3), n_past=7)
    series = randn(2, 10, 3, seed=42)
    assert op.out_shape == (21,)
    torch.testing.assert_close(op(series), series[:, :7].reshape(2, -1))
    x = op.pinv(op(series))
    torch.testing.assert_close(x[:, :7], series[:, :7])
    assert bool((x[:, 7:] == 0).all())


def test_blur_equals_direct_circular_convolution() -> None:
    """Against sum_a k[a] roll(x, a - c) and against conv2d (flipped kernel) with circular padding."""
    kernel = randn(3, 4, seed=43)  # non-symmetric, even width
    op = Blur(kernel, (2, 7, 9))
    x = randn(3, 2, 7, 9, seed=44)
    direct = torch.zeros_like(x)
    for a in range(3):
        for b in range(4):
            direct += kernel[a, b] * torch.roll(x, shifts=(a - 1, b - 2), dims=(-2, -1))
    torch.testing.assert_close(op(x), direct, rtol=0, atol=1e-12)
    flat = x.reshape(6, 1, 7, 9)
    padded = F.pad(flat, (4 - 1 - 2, 2, 3 - 1 - 1, 1), mode="circular")
    conv = F.conv2d(padded, kernel.flip(0, 1)[None, None]).reshape(3, 2, 7, 9)
    torch.testing.assert_close(op(x), conv, rtol=0, atol=1e-12)
    assert not torch.allclose(op.u_t(op(x)), op.v_t(op(x)))  # U != V for a non-symmetric kernel


def test_blur_1d_and_gaussian() -> None:
    kernel = randn(4, seed=45)
    op = Blur(kernel, (11,))
    x = randn(2, 11, seed=46)
    direct = sum(kernel[a] * torch.roll(x, a - 2, dims=-1) for a in range(4))
    torch.testing.assert_close(op(x), direct, rtol=0, atol=1e-12)
    g = Blur.gaussian((16, 16), sigma=1.0)
    torch.testing.assert_close(g(torch.ones(1, 16, 16, dtype=F64)), torch.ones(1, 16, 16, dtype=F64))
    assert float(g.singular_values().max()) == pytest.approx(1.0, abs=1e-12)


def test_downsample_equals_block_means() -> None:
    x = randn(2, 3, 8, 12, seed=47)
    torch.testing.assert_close(Downsample(4, (3, 8, 12))(x), F.avg_pool2d(x, 4), rtol=0, atol=1e-13)
    series = randn(2, 12, seed=48)
    torch.testing.assert_close(Downsample(3, (12,))(series), series.reshape(2, 4, 3).mean(-1))
    assert float(Downsample(2, (4, 4)).singular_values()[0]) == 0.5


def test_aggregate_equals_window_means_and_sums() -> None:
    daily = randn(2, 28, 3, seed=49)  # 4 weeks x 3 stations
    weekly = torch.stack([daily[:, 7 * w : 7 * (w + 1)].mean(1) for w in range(4)], dim=1)
    torch.testing.assert_close(Aggregate((28, 3), axis=0, window=7)(daily), weekly, rtol=0, atol=1e-14)
    grid = randn(2, 5, 6, seed=50)
    sums = torch.stack([grid[:, :, 3 * k : 3 * (k + 1)].sum(-1) for k in range(2)], dim=-1)
    torch.testing.assert_close(Aggregate((5, 6), axis=-1, window=3, mode="sum")(grid), sums, rtol=0, atol=1e-14)
    assert float(Aggregate((5, 6), axis=1, window=3, mode="sum").singular_values()[0]) == pytest.approx(math.sqrt(3))
    with pytest.raises(ValueError, match="dividing"):
        Aggregate((28, 3), axis=1, window=2)


# ----------------------------------------------------------------------------- real Fourier transform
@pytest.mark.parametrize("shape", [(7,), (8,), (4, 6), (5, 7), (6, 5), (1, 4)])
def test_real_fourier_is_orthonormal(shape: tuple[int, ...]) -> None:
    """The coefficient matrix M satisfies M M^T = I exactly (to rounding); the inverse is M^T."""
    n, nd = math.prod(shape), len(shape)
    eye = torch.eye(n, dtype=F64).reshape(n, *shape)
    m = real_fourier(eye, nd).reshape(n, n)
    torch.testing.assert_close(m @ m.T, torch.eye(n, dtype=F64), rtol=0, atol=1e-14)
    torch.testing.assert_close(inverse_real_fourier(eye, nd).reshape(n, n), m.T, rtol=0, atol=1e-14)


def test_real_fourier_basis_values() -> None:
    """Length 6: index 0 DC, 3 Nyquist, 1/2 cosines and 5/4 sines of frequencies 1/2, all orthonormal."""
    x = randn(1, 6, seed=50)
    c = real_fourier(x, 1)[0]
    j = torch.arange(6, dtype=F64)
    s = math.sqrt(2 / 6)
    expected = [
        x[0].sum() / math.sqrt(6),
        s * (x[0] * torch.cos(2 * math.pi * j / 6)).sum(),
        s * (x[0] * torch.cos(4 * math.pi * j / 6)).sum(),
        (x[0] * (-1) ** j).sum() / math.sqrt(6),
        s * (x[0] * torch.sin(4 * math.pi * j / 6)).sum(),
        s * (x[0] * torch.sin(2 * math.pi * j / 6)).sum(),
    ]
    torch.testing.assert_close(c, torch.stack(expected), rtol=0, atol=1e-14)


# ----------------------------------------------------------------------------- partial Fourier
def test_partial_fourier_full_mask_is_orthogonal() -> None:
    op = PartialFourier(torch.ones(6, 5, dtype=torch.bool))
    a = op.dense()
    torch.testing.assert_close(a.T @ a, torch.eye(30, dtype=F64), rtol=0, atol=1e-14)
    torch.testing.assert_close(a @ a.T, torch.eye(30, dtype=F64), rtol=0, atol=1e-14)


def test_partial_fourier_matches_kspace_samples() -> None:
    """The observation carries exactly the complex k-space samples fft2(x, ortho) at the mask."""
    mask = variable_density_mask((8, 8), acceleration=3.0, seed=3)
    op = PartialFourier(mask)
    x = randn(2, 8, 8, seed=51)
    kspace = torch.fft.fft2(x, norm="ortho")
    zero_filled = op.adjoint(op(x))  # the zero-filled reconstruction
    torch.testing.assert_close(torch.fft.fft2(zero_filled, norm="ortho"), kspace * mask, rtol=0, atol=1e-13)


def test_partial_fourier_rejects_asymmetric_masks() -> None:
    mask = torch.zeros(6, 6, dtype=torch.bool)
    mask[0, 0] = mask[1, 2] = True  # (1, 2) without its partner (5, 4)
    with pytest.raises(ValueError, match=r"not conjugate-symmetric: 1 frequencies .* e\.g\. \(1, 2\)"):
        PartialFourier(mask)
    op = PartialFourier(mask, symmetrize=True)
    assert op.out_shape == (3,) and bool(op.mask[5, 4]) and bool(op.mask[1, 2])


def test_variable_density_mask() -> None:
    m = variable_density_mask((32, 32), acceleration=4.0, center_fraction=0.1, seed=7)
    assert torch.equal(m, variable_density_mask((32, 32), acceleration=4.0, center_fraction=0.1, seed=7))
    assert not torch.equal(m, variable_density_mask((32, 32), acceleration=4.0, center_fraction=0.1, seed=8))
    assert abs(m.float().mean().item() - 0.25) < 0.05
    assert bool(m[:2, :2].all() and m[-1:, -1:].all())  # fully sampled centre (DC at the corner)
    PartialFourier(m)  # conjugate-symmetric
    lines = variable_density_mask((16, 32), acceleration=4.0, pattern="lines", seed=1)
    assert bool((lines == lines[:1]).all())  # whole columns
    PartialFourier(lines)


# ----------------------------------------------------------------------------- Radon
def _grid(n: int) -> tuple[Tensor, Tensor]:
    c = (n - 1) / 2
    g = torch.arange(n, dtype=F64) - c
    return torch.meshgrid(g, g, indexing="ij")  # (y, x) of each pixel centre


def test_radon_of_a_disk_matches_chord_lengths() -> None:
    """At 0 degrees the projection of a disk of radius r is 2 sqrt(r^2 - s^2) (area-sampled disk image)."""
    n, r, sub = 48, 15.0, 8
    yy, xx = _grid(n)
    o = (torch.arange(sub, dtype=F64) + 0.5) / sub - 0.5
    px = xx[..., None, None] + o[None, None, None, :]
    py = yy[..., None, None] + o[None, None, :, None]
    disk = (px**2 + py**2 <= r * r).to(F64).mean((-1, -2))
    op = Radon(n, views=4)
    proj = op(disk[None])[0, 0]
    s = torch.arange(op.detectors, dtype=F64) - (op.detectors - 1) / 2
    chord = 2 * torch.sqrt((r * r - s * s).clamp(min=0))
    inside = s.abs() <= r - 1.5
    assert float((proj - chord)[inside].abs().max()) < 0.3
    assert float((proj - chord).abs()[s.abs() <= 3].max() / (2 * r)) < 0.01
    assert float(proj[s.abs() > r + 1.5].abs().max()) < 1e-12


def test_fbp_reconstructs_a_smooth_disk() -> None:
    """FBP of the Radon transform of a smooth disk phantom: relative L2 error < 0.15 (64x64, 90 views)."""
    yy, xx = _grid(64)
    phantom = ((1 - (xx**2 + yy**2) / 22.0**2).clamp(min=0) ** 2)[None]
    op = Radon(64, views=90)
    sino = op(phantom)
    rec = op.fbp(sino)
    err = float((rec - phantom).norm() / phantom.norm())
    assert err < 0.15
    assert op.fbp(sino[0]).shape == (64, 64)
    torch.testing.assert_close(op.fbp(sino[0]), rec[0])


def test_radon_gradients_use_the_exact_transpose() -> None:
    op = Radon(8, 3)
    x, w = randn(2, 8, 8, seed=52).requires_grad_(True), randn(2, 3, 12, seed=53)
    (grad,) = torch.autograd.grad((op(x) * w).sum(), x)
    torch.testing.assert_close(grad, op.adjoint(w), rtol=0, atol=0)
    tangent = torch.func.jvp(op.forward, (x.detach(),), (w.new_ones(2, 8, 8),))[1]
    torch.testing.assert_close(tangent, op(w.new_ones(2, 8, 8)), rtol=0, atol=0)


# ----------------------------------------------------------------------------- callables, counting, checks
def test_black_box_is_forward_only() -> None:
    op = BlackBox(lambda x: x.sum(-1, keepdim=True), (3,), (1,), name="simulator")
    x = randn(2, 3, seed=54)
    torch.testing.assert_close(op(x), x.sum(-1, keepdim=True))
    assert op.features == frozenset({"forward"})
    with pytest.raises(ValueError, match="black box"):
        op.vjp(x, torch.ones(2, 1, dtype=F64))
    with pytest.raises(ValueError, match="black box"):
        op.jvp(x, x)
    with pytest.raises(ValueError, match="black box"):
        (op @ Identity(3)).vjp(x, torch.ones(2, 1, dtype=F64))
    assert check_operator(op).passed


def test_differentiable_matches_finite_differences() -> None:
    """VJP and JVP of a nonlinear operator against central differences (float64)."""

    def f(x: Tensor) -> Tensor:
        return torch.stack([x[:, 0] * x[:, 1], torch.sin(x[:, 2]) + x[:, 0] ** 3, torch.exp(0.3 * x[:, 1])], dim=1)

    op = Differentiable(f, (3,), (3,))
    x, u, v = randn(2, 3, seed=55), randn(2, 3, seed=56), randn(2, 3, seed=57)
    h = 1e-6
    fd = (op(x + h * u) - op(x - h * u)) / (2 * h)
    torch.testing.assert_close(op.jvp(x, u), fd, rtol=0, atol=1e-8)
    jac = torch.stack([(op(x + h * e) - op(x - h * e)) / (2 * h) for e in torch.eye(3, dtype=F64)], dim=-1)
    torch.testing.assert_close(op.vjp(x, v), torch.einsum("bi,bij->bj", v, jac), rtol=0, atol=1e-8)


def test_counting_operator() -> None:
    cost = Cost()
    op = CountingOperator(Downsample(2, (4, 4)), cost)
    assert isinstance(op, LinearOperator) and op.has_svd and op.in_shape == (4, 4) and op.out_shape == (2, 2)
    x, y = randn(2, 4, 4, seed=58), randn(2, 2, 2, seed=59)
    op(x)
    op.adjoint(y)
    op.vjp(x, y)
    op.jvp(x, x)
    op.jvp(x, x)
    assert cost.as_dict() == {"nfe": 0, "vjp": 1, "jvp": 2, "operator_calls": 2}
    op.pinv(y)  # through the SVD: u_t then v
    assert cost.operator_calls == 4
    nonlinear = CountingOperator(Differentiable(torch.tanh, (3,), (3,)), cost)
    assert not isinstance(nonlinear, LinearOperator) and nonlinear.differentiable
    nonlinear(randn(1, 3))
    assert cost.operator_calls == 5
    radon = CountingOperator(Radon(8, 3))
    assert not radon.has_svd and radon.fbp(radon(randn(1, 8, 8))).shape == (1, 8, 8)
    assert radon.cost.operator_calls == 1
    black = CountingOperator(BlackBox(torch.tanh, (3,), (3,)))
    with pytest.raises(ValueError, match="black box"):
        black.vjp(randn(1, 3), randn(1, 3))


def test_check_operator_fails_on_wrong_adjoint_and_svd() -> None:
    class WrongAdjoint(LinearOperator):
        def __init__(self) -> None:
            super().__init__((4,), (3,))
            self.a = randn(3, 4, seed=60)

        def forward(self, x: Tensor) -> Tensor:
            return x @ self.a.T

        def adjoint(self, y: Tensor) -> Tensor:
            return y @ self.a * 1.001

    report = check_operator(WrongAdjoint(), generator=0)
    assert not report.passed and report.adjoint_error > 1e-4
    with pytest.raises(ValueError, match="adjoint test"):
        check_operator(WrongAdjoint(), raise_on_failure=True)

    class WrongSVD(Downsample):
        def singular_values(self) -> Tensor:
            return 2 * super().singular_values()

    report = check_operator(WrongSVD(2, (4, 4)), generator=0)
    assert not report.passed and report.adjoint_error < 1e-12 and report.svd_error > 0.5

    class WrongShape(Operator):
        def forward(self, x: Tensor) -> Tensor:
            return x

    assert not check_operator(WrongShape((3,), (2,))).shape_ok
