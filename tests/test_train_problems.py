"""Lifting operators in physical units to the model state: y = A(decode(x)) + noise, exactly, for linear,
nonlinear and forward-only A; mask configs built from explicit indices."""

from __future__ import annotations

import pytest
import torch
from sciddiff.domains.tabular import TabularAdapter

from sciddiff.operators import BlackBox, Differentiable, LinearOperator, Matrix
from sciddiff.train.problems import build_operator, state_problem

F64 = torch.float64


@pytest.fixture()
def adapter() -> TabularAdapter:
    a = TabularAdapter(builtin="ring", n=200)
    a.datasets(0)  # fits the per-column standardisation: decode(x) = scale * x + offset
    return a


def _states(n: int = 5) -> torch.Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(1), dtype=F64)


def test_linear_operator_stays_linear_with_shifted_observation(adapter: TabularAdapter) -> None:
    a = Matrix(torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=F64))
    x = _states()
    y = a.forward(adapter.decode(x))
    lifted, y_state = state_problem(adapter, a, y[0])
    assert isinstance(lifted, LinearOperator)
    torch.testing.assert_close(lifted.forward(x)[0], y_state)  # y - A(offset) = (A D) x exactly
    torch.testing.assert_close(lifted.forward(x) + (y[0] - y_state), y)


def test_nonlinear_operator_is_composed_with_the_decode_not_shifted(adapter: TabularAdapter) -> None:
    """A(raw) = |raw|^2 is not linear: subtracting A(offset) would be wrong; the lift is A(decode(x)), and its VJP is
    the chain rule 2 * decode(x) * scale."""
    f = lambda raw: (raw**2).sum(-1, keepdim=True)  # noqa: E731
    op = Differentiable(f, (2,), (1,))
    x = _states()
    y = op.forward(adapter.decode(x))
    lifted, y_state = state_problem(adapter, op, y[0])
    torch.testing.assert_close(y_state, y[0])
    torch.testing.assert_close(lifted.forward(x), y)
    scale, _ = adapter.affine()
    v = torch.ones(x.shape[0], 1, dtype=F64)
    torch.testing.assert_close(lifted.vjp(x, v), 2 * adapter.decode(x) * scale.to(F64))


def test_forward_only_operator_stays_forward_only(adapter: TabularAdapter) -> None:
    op = BlackBox(lambda raw: raw.sin(), (2,), (2,))
    x = _states()
    lifted, _ = state_problem(adapter, op, op.forward(adapter.decode(x))[0])
    assert isinstance(lifted, BlackBox) and not lifted.differentiable
    torch.testing.assert_close(lifted.forward(x), adapter.decode(x).sin())
    with pytest.raises(Exception, match=r"VJP|vjp|derivative"):
        lifted.vjp(x, torch.ones_like(x))


def test_mask_configs_observe_exactly_the_listed_entries_and_refuse_others() -> None:
    op = build_operator({"name": "mask", "kwargs": {"observed": [0, 5, 11]}}, (3, 4))
    x = torch.arange(12, dtype=torch.float64).reshape(1, 3, 4)
    assert op(x).tolist() == [[0.0, 5.0, 11.0]]
    with pytest.raises(ValueError, match=r"mask observed index 12 is outside the 12 entries of data shaped \(3, 4\)"):
        build_operator({"name": "mask", "kwargs": {"observed": [0, 12]}}, (3, 4))
    with pytest.raises(ValueError, match="observes no entry"):
        build_operator({"name": "mask", "kwargs": {"observed": []}}, (3, 4))
