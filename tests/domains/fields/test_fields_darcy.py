"""Darcy flow: the finite-difference solver against exact discrete and continuous solutions, and the coefficient."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sciddiff.domains.fields.simulators.darcy import (
    darcy_dataset,
    darcy_matrix,
    load_darcy,
    solve_darcy,
    threshold_coefficient,
)
from sciddiff.domains.fields.sources import load_source


def stencil_by_loops(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    """-div(a grad u) at the interior nodes, face by face, written out with loops (an independent reference)."""
    size = a.shape[0]
    h2 = (1.0 / (size - 1)) ** 2
    out = np.zeros_like(u)
    for i in range(1, size - 1):
        for j in range(1, size - 1):
            total = 0.0
            for p, q in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                face = 2 * a[i, j] * a[p, q] / (a[i, j] + a[p, q])
                total += face * (u[i, j] - u[p, q])
            out[i, j] = total / h2
    return out


def test_solver_inverts_the_harmonic_mean_stencil_exactly() -> None:
    rng = np.random.default_rng(0)
    size = 12
    a = threshold_coefficient(rng.standard_normal((size, size)))
    u = np.zeros((size, size))
    u[1:-1, 1:-1] = rng.standard_normal((size - 2, size - 2))
    f = stencil_by_loops(a, u)
    np.testing.assert_allclose(solve_darcy(a, f), u, atol=1e-10)
    m = darcy_matrix(a)
    assert abs(m - m.T).max() < 1e-12  # symmetric, as a flux form must be


def poisson_series(x: np.ndarray, y: np.ndarray, terms: int = 201) -> np.ndarray:
    """Exact solution of -Laplacian u = 1 on the unit square, u = 0 on the boundary (double sine series)."""
    u = np.zeros(np.broadcast(x, y).shape)
    for m in range(1, terms, 2):
        for n in range(1, terms, 2):
            u += 16 / (math.pi**4 * m * n * (m**2 + n**2)) * np.sin(m * math.pi * x) * np.sin(n * math.pi * y)
    return u


def test_constant_coefficient_matches_the_series_solution() -> None:
    size = 33
    x = np.linspace(0, 1, size)
    exact = poisson_series(x[None, :], x[:, None])
    u = solve_darcy(np.full((size, size), 2.0), 1.0)
    assert abs(exact[16, 16] - 0.0736713532) < 1e-7  # the known maximum of the torsion function
    np.testing.assert_allclose(u, exact / 2.0, atol=5e-5)


def manufactured(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a = 2 + sin(2 pi x) cos(pi y), u = sin(pi x) sin(2 pi y), f = -div(a grad u) by hand."""
    t = np.linspace(0, 1, size)
    y, x = np.meshgrid(t, t, indexing="ij")
    pi = math.pi
    a = 2 + np.sin(2 * pi * x) * np.cos(pi * y)
    ax, ay = 2 * pi * np.cos(2 * pi * x) * np.cos(pi * y), -pi * np.sin(2 * pi * x) * np.sin(pi * y)
    u = np.sin(pi * x) * np.sin(2 * pi * y)
    ux, uy = pi * np.cos(pi * x) * np.sin(2 * pi * y), 2 * pi * np.sin(pi * x) * np.cos(2 * pi * y)
    f = -(ax * ux + ay * uy) + 5 * pi**2 * a * u
    return a, u, f


def test_variable_coefficient_converges_at_second_order() -> None:
    errors = []
    for size in (17, 33, 65):
        a, u, f = manufactured(size)
        errors.append(np.abs(solve_darcy(a, f) - u).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] < 2e-3
    assert np.all((orders > 1.9) & (orders < 2.1)), orders


def test_dataset_coefficient_takes_exactly_the_two_values_and_solves_the_pde() -> None:
    ds = darcy_dataset(60, 32, seed=1)
    a, u = ds["a"].values, ds["u"].values
    assert set(np.unique(a)) == {3.0, 12.0}
    assert abs((a == 12).mean() - 0.5) < 0.05  # P(field >= 0) = 1/2 for a centred Gaussian field
    residual = stencil_by_loops(a[0], u[0])[1:-1, 1:-1]
    np.testing.assert_allclose(residual, 1.0, atol=1e-9)
    assert np.all(u[:, 0, :] == 0) and np.all(u[:, :, -1] == 0)
    np.testing.assert_array_equal(ds["x"].values, np.linspace(0, 1, 32))
    assert ds["a"].dims == ("sample", "y", "x")


def test_the_64_grid_solves_the_pde_with_the_same_field_statistics() -> None:
    from sciddiff.domains.fields.pde import darcy_residual

    ds = darcy_dataset(8, 64, seed=2)
    a, u = torch.as_tensor(ds["a"].values), torch.as_tensor(ds["u"].values)
    assert set(np.unique(a.numpy())) == {3.0, 12.0} and abs(float((a == 12).double().mean()) - 0.5) < 0.15
    assert float(darcy_residual(a, u).abs().max()) < 1e-8
    np.testing.assert_array_equal(ds["y"].values, np.linspace(0, 1, 64))
    with pytest.raises(ValueError, match="Darcy data is generated at 32x32 or 64x64 nodes, got size=48"):
        load_source("darcy", {"size": 48, "n": 4}, 0)


def test_seeds_reproduce_and_the_cache_round_trips(tmp_path: object) -> None:
    first = load_darcy(3, 16, seed=5, directory=tmp_path)
    again = load_darcy(3, 16, seed=5, directory=tmp_path)
    np.testing.assert_array_equal(first["u"].values, darcy_dataset(3, 16, seed=5)["u"].values)
    np.testing.assert_array_equal(first["a"].values, again["a"].values)
    assert not np.array_equal(first["a"].values, darcy_dataset(3, 16, seed=6)["a"].values)


@pytest.mark.parametrize("a", [np.ones((4, 5)), np.ones((2, 2)), -np.ones((5, 5)), np.full((5, 5), np.nan)])
def test_bad_coefficients_raise(a: np.ndarray) -> None:
    with pytest.raises(ValueError, match="coefficient"):
        solve_darcy(a)
