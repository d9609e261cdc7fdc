"""The torch Darcy residual: zero on the solver's own solutions, the solver's matrix on any field, and its
derivatives."""

from __future__ import annotations

import numpy as np
import torch
from sciddiff.domains.fields.pde import darcy_residual, darcy_residual_operator
from sciddiff.domains.fields.simulators import darcy_matrix, solve_darcy, threshold_coefficient
from sciddiff.domains.fields.simulators.grf import neumann_grf

from sciddiff.operators import check_operator

F64 = torch.float64


def coefficients(n: int, size: int, seed: int = 0) -> np.ndarray:
    return threshold_coefficient(neumann_grf(n, size, np.random.default_rng(seed)))


def test_residual_vanishes_on_finite_difference_solutions() -> None:
    a = coefficients(3, 16)
    u = np.stack([solve_darcy(ai) for ai in a])
    r = darcy_residual(torch.as_tensor(a), torch.as_tensor(u))
    assert r.shape == (3, 14, 14)
    assert float(r.abs().max()) < 1e-9  # f = 1, so this is relative to the source term


def test_residual_is_the_solver_matrix_applied_to_any_field() -> None:
    a = coefficients(1, 12, seed=1)[0]
    g = np.random.default_rng(2)
    u = np.zeros((12, 12))
    u[1:-1, 1:-1] = g.standard_normal((10, 10))
    expected = darcy_matrix(a) @ u[1:-1, 1:-1].ravel() - 0.5
    r = darcy_residual(torch.as_tensor(a)[None], torch.as_tensor(u)[None], f=0.5)
    np.testing.assert_allclose(r.reshape(-1).numpy(), expected, rtol=1e-12, atol=1e-9)


def test_perturbing_a_solution_gives_exactly_the_matrix_column() -> None:
    a = coefficients(1, 10, seed=3)[0]
    u = solve_darcy(a)
    bumped = u.copy()
    bumped[4, 6] += 1e-3
    r = darcy_residual(torch.as_tensor(a)[None], torch.as_tensor(bumped)[None]).reshape(-1).numpy()
    column = darcy_matrix(a).toarray()[:, (4 - 1) * 8 + (6 - 1)]
    np.testing.assert_allclose(r, 1e-3 * column, atol=1e-9)
    assert np.abs(r).max() > 1.0  # clearly non-zero off the solution


def test_residual_operator_derivatives_are_consistent() -> None:
    op = darcy_residual_operator(8, weight=0.1)
    assert op.in_shape == (2, 8, 8) and op.out_shape == (36,)
    report = check_operator(op, generator=0, rtol=1e-10)
    assert report.passed and report.derivative_error is not None
    x = torch.rand(2, 2, 8, 8, dtype=F64) + 1.0
    assert torch.allclose(op(x), 0.1 * darcy_residual(x[:, 0], x[:, 1]).reshape(2, -1))
