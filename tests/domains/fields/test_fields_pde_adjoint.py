"""The differentiable Darcy solve: the scipy solver's values, finite-difference-checked gradients and tangents,
the adjoint identity under torch.func, the Darcy operators built from configs, and the projection onto (a, u(a))."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sciddiff.domains.fields import FieldsAdapter
from sciddiff.domains.fields.pde import darcy_residual
from sciddiff.domains.fields.pde_adjoint import darcy_solution_sensors, solve_darcy_torch
from sciddiff.domains.fields.problems import field_operator
from sciddiff.domains.fields.simulators import darcy_dataset, project_darcy, solve_darcy

F64 = torch.float64
DARCY_META = {"variables": ["a", "u"]}


def coefficients(batch: int, size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 3.0 + 9.0 * torch.rand(batch, size, size, generator=g, dtype=F64)


def test_torch_solve_equals_the_scipy_solver() -> None:
    a = coefficients(3, 9)
    u = solve_darcy_torch(a, f=2.0)
    for ai, ui in zip(a, u, strict=True):
        assert torch.allclose(ui, torch.as_tensor(solve_darcy(ai.numpy(), 2.0)), rtol=0, atol=1e-14)
    assert torch.equal(solve_darcy_torch(a[0], f=2.0), u[0])  # an unbatched grid gives the same solve


def test_gradient_and_tangent_match_finite_differences() -> None:
    a = coefficients(2, 6).requires_grad_()
    assert torch.autograd.gradcheck(solve_darcy_torch, (a,), check_forward_ad=True)
    assert torch.autograd.gradgradcheck(solve_darcy_torch, (a,))


def test_vjp_and_jvp_satisfy_the_adjoint_identity_under_torch_func() -> None:
    a, g = coefficients(2, 8), torch.Generator().manual_seed(1)
    da, v = torch.randn(a.shape, generator=g, dtype=F64), torch.randn(a.shape, generator=g, dtype=F64)
    _, pull = torch.func.vjp(solve_darcy_torch, a)
    tangent = torch.func.jvp(solve_darcy_torch, (a,), (da,))[1]
    assert torch.allclose((tangent * v).sum(), (da * pull(v)[0]).sum(), rtol=1e-12)
    # and the tangent is the directional derivative of the solve. Central differences err by O(eps^2) truncation
    # plus O(machine eps * |u| / eps) round-off: 5.6e-12 at eps = 1e-6, over the tolerance; 3e-13 at eps = 1e-5.
    eps = 1e-5
    central = (solve_darcy_torch(a + eps * da) - solve_darcy_torch(a - eps * da)) / (2 * eps)
    assert torch.allclose(tangent, central, rtol=1e-6, atol=1e-12)


def test_solution_sensor_operator_observes_u_of_a_and_ignores_the_u_channel() -> None:
    size, g = 8, torch.Generator().manual_seed(2)
    op = field_operator(
        {"name": "darcy", "kwargs": {"observe": "u", "n": 10, "solver": True}}, (2, size, size), DARCY_META, {}
    )
    sensors = field_operator({"name": "darcy", "kwargs": {"observe": "u", "n": 10}}, (2, size, size), DARCY_META, {})
    a = coefficients(2, size)
    pairs = torch.stack([a, solve_darcy_torch(a)], dim=1)
    assert torch.allclose(op(pairs), sensors(pairs), rtol=0, atol=1e-15)  # same sensors, exact u: same readings
    scrambled = torch.stack([a, torch.randn(a.shape, generator=g, dtype=F64)], dim=1)
    assert torch.equal(op(scrambled), op(pairs))
    v = torch.randn(2, 10, generator=g, dtype=F64)
    grad = op.vjp(pairs, v)
    assert torch.count_nonzero(grad[:, 1]) == 0 and torch.count_nonzero(grad[:, 0]) > 0


def test_darcy_operator_configs_observe_a_u_and_the_residual() -> None:
    shape = (2, 8, 8)
    a = coefficients(1, 8)
    pairs = torch.stack([a, solve_darcy_torch(a)], dim=1)
    on_a = field_operator({"name": "darcy", "kwargs": {"observe": "a", "n": 12, "seed": 3}}, shape, DARCY_META, {})
    assert on_a.mask[1].sum() == 0 and on_a.mask[0].sum() == 12
    assert torch.equal(on_a(pairs)[0], pairs[0, 0][on_a.mask[0]])
    kw = {"observe": "u", "n": 12, "seed": 3, "pde_weight": 2.0}
    stacked = field_operator({"name": "darcy", "kwargs": kw}, shape, DARCY_META, {})
    out = stacked(pairs)[0]
    assert out.shape == (12 + 36,) and out[12:].abs().max() < 1e-9  # the residual of an exact solve is zero
    wrong = pairs.clone()
    wrong[:, 1] *= 1.5
    expected = 2.0 * darcy_residual(wrong[:, 0], wrong[:, 1]).reshape(-1)
    assert torch.allclose(stacked(wrong)[0, 12:], expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"observe": "a", "solver": True}, r"needs observe='u' and no pde_weight, got observe='a'"),
        ({"observe": "u", "solver": True, "pde_weight": 1.0}, r"pde_weight=1"),
    ],
)
def test_solver_observation_refuses_inconsistent_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        field_operator({"name": "darcy", "kwargs": {"n": 5, **kwargs}}, (2, 8, 8), DARCY_META, {})


def test_solution_sensor_operator_refuses_a_mismatched_sensor_map_and_a_bad_floor() -> None:
    with pytest.raises(ValueError, match=r"the sensor map has shape \(7, 7\); the Darcy grid is \(8, 8\)"):
        darcy_solution_sensors(8, torch.ones(7, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"a_min must be > 0, got 0\.0"):
        darcy_solution_sensors(8, torch.ones(8, 8, dtype=torch.bool), a_min=0.0)


def test_projection_keeps_data_pairs_and_solves_the_pde_for_any_estimate() -> None:
    ds = darcy_dataset(3, 12, seed=4)
    pairs = np.stack([ds["a"].values, ds["u"].values], axis=1)
    assert np.allclose(project_darcy(pairs), pairs, rtol=0, atol=1e-15)  # data pairs are already consistent
    rough = pairs + np.random.default_rng(0).normal(0, 2.0, pairs.shape)
    out = project_darcy(rough[None])[0]
    assert set(np.unique(out[:, 0])) <= {3.0, 12.0}
    assert np.array_equal(out[:, 0], np.where(rough[:, 0] >= 7.5, 12.0, 3.0))
    residual = darcy_residual(torch.as_tensor(out[:, 0]), torch.as_tensor(out[:, 1]))
    assert residual.abs().max() < 1e-9
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, size, size\), got \(3, 12, 12\)"):
        project_darcy(pairs[:, 0])


def test_only_darcy_fields_can_be_projected() -> None:
    with pytest.raises(ValueError, match="only Darcy fields have an exact constraint to project onto, not 'digits'"):
        FieldsAdapter(source="digits").project(torch.zeros(1, 1, 8, 8))


def test_the_fields_readme_example_runs_and_its_gradient_is_right() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "domains" / "fields" / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "solve_darcy_torch" in c)
    code = "\n".join(line[2:] if line.startswith("  ") else line for line in code.splitlines())  # a list item's block
    scope: dict = {}
    exec(compile(code, "domains/fields/README.md", "exec"), scope)
    a, u = scope["a"].detach(), scope["u"].detach()
    assert torch.allclose(u, torch.as_tensor(solve_darcy(a.numpy())), rtol=0, atol=1e-14)
    direction = torch.randn(a.shape, generator=torch.Generator().manual_seed(0), dtype=F64)
    eps = 1e-6
    central = (solve_darcy_torch(a + eps * direction)[16, 16] - solve_darcy_torch(a - eps * direction)[16, 16]) / (
        2 * eps
    )
    assert float((scope["a"].grad * direction).sum()) == pytest.approx(float(central), rel=1e-5)
