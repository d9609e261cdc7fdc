"""Batched conjugate gradient: exact on SPD systems, and safe where a row's matrix is not positive definite."""

from __future__ import annotations

import torch

from sciddiff.guidance.cg import conjugate_gradient

F64 = torch.float64


def _batched(m: torch.Tensor):
    return lambda v: torch.einsum("bij,bj->bi", m, v)


def test_spd_rows_solved_exactly_in_n_iterations() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3, 6, 6, generator=g, dtype=F64)
    m = a @ a.transpose(1, 2) + 0.5 * torch.eye(6, dtype=F64)
    b = torch.randn(3, 6, generator=g, dtype=F64)
    res = conjugate_gradient(_batched(m), b, max_iter=6, rtol=1e-12)
    torch.testing.assert_close(res.solution, torch.linalg.solve(m, b), rtol=1e-8, atol=1e-8)
    assert float(res.relative_residual.max()) < 1e-8


def test_negative_curvature_keeps_the_last_iterate() -> None:
    """M = diag(1, -1), b = (2, 1): the first step is u1 = (5/3) b = (10/3, 5/3); the next direction
    p1 = (20/9, 40/9) has p1^T M p1 = -1200/81 < 0, so CG stops at u1. A row with b = (1, 2) meets negative
    curvature at once and stays at zero. An SPD row in the same batch is solved as if alone."""
    m = torch.zeros(3, 2, 2, dtype=F64)
    m[0] = m[1] = torch.diag(torch.tensor([1.0, -1.0], dtype=F64))
    m[2] = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64)
    b = torch.tensor([[2.0, 1.0], [1.0, 2.0], [1.0, -1.0]], dtype=F64)
    res = conjugate_gradient(_batched(m), b, max_iter=10, rtol=1e-12)
    assert bool(torch.isfinite(res.solution).all())
    torch.testing.assert_close(res.solution[0], torch.tensor([10 / 3, 5 / 3], dtype=F64))
    torch.testing.assert_close(res.solution[1], torch.zeros(2, dtype=F64))
    torch.testing.assert_close(res.solution[2], torch.linalg.solve(m[2], b[2]))


def test_floor_stops_where_the_psd_part_turns_negative() -> None:
    """M = F + G with F = I and G = diag(1, -0.9): M = diag(2, 0.1) is SPD, so plain CG solves it, u = (0.5, 10).
    Given the floor F, the second direction p1 (p1^T M p1 < p1^T p1, G negative along it) stops the row at the
    first iterate u1 = (|b|^2 / b^T M b) b = (2 / 2.1) (1, 1)."""
    m = torch.diag(torch.tensor([2.0, 0.1], dtype=F64))[None]
    b = torch.tensor([[1.0, 1.0]], dtype=F64)
    plain = conjugate_gradient(_batched(m), b, max_iter=5, rtol=1e-12)
    torch.testing.assert_close(plain.solution[0], torch.tensor([0.5, 10.0], dtype=F64))
    floored = conjugate_gradient(_batched(m), b, max_iter=5, rtol=1e-12, floor=lambda p: p)
    torch.testing.assert_close(floored.solution[0], torch.full((2,), 2 / 2.1, dtype=F64))
