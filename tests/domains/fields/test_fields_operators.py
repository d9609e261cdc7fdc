"""The fields domain's operator hook: shapes, adjointness of every operator after lifting to the state, missing
sensor values, the Navier-Stokes black box, and refusals of masks or sensors shaped unlike the field."""

from __future__ import annotations

import pytest
import torch
from fields_gaussian import GaussianFields
from sciddiff.domains.fields import FieldsAdapter
from sciddiff.domains.fields.simulators import NavierStokes2D, kolmogorov_forcing
from sciddiff.domains.fields.solve import drop_missing, observation_image

from sciddiff.operators import Blur, Downsample, Mask, check_operator
from sciddiff.train.problems import build_operator, state_problem

F64 = torch.float64


def operator_for(adapter: FieldsAdapter, name: str, **kwargs: object):
    cfg = {"name": name, "kwargs": kwargs}
    return adapter.operator(cfg, adapter.shape) or build_operator(cfg, adapter.shape)


@pytest.fixture
def adapter(gaussian_fields: GaussianFields) -> FieldsAdapter:
    a = FieldsAdapter(source="netcdf", path=str(gaussian_fields.path))
    a.datasets(0)
    return a


@pytest.mark.parametrize(
    ("name", "kwargs", "out_dim"),
    [
        ("box", {"box": [1, 3, 1, 4]}, 2 * (20 - 6)),
        ("sensors", {"n": 7, "channels": ["b"]}, 7),
        ("sensors", {"locations": [[0, 0], [3, 4]]}, 4),
        ("mask", {"mask": [[True, False, True, False, True]] * 4}, 2 * 12),
        ("blur", {"sigma": 0.3}, 40),
        ("partial_fourier", {"acceleration": 2, "center_fraction": 0.25, "seed": 0}, None),
    ],
)
def test_lifted_operators_are_exact_adjoints(adapter: FieldsAdapter, name: str, kwargs: dict, out_dim: int | None):
    op = operator_for(adapter, name, **kwargs)
    assert op.in_shape == (2, 4, 5)
    if out_dim is not None:
        assert op.out_dim == out_dim
    y = torch.randn(op.out_shape, dtype=F64)
    lifted, _ = state_problem(adapter, op, y)
    report = check_operator(lifted, generator=1, rtol=1e-10)
    assert report.passed and report.adjoint_error is not None, str(report)
    # lifted = A D with D the per-channel scale: compare with the dense product
    scale = adapter.scale.expand(2, 4, 5).reshape(-1)
    assert torch.allclose(lifted.dense(), op.dense() * scale[None, :], atol=1e-12)


def test_observation_is_shifted_by_the_offset_for_linear_operators(adapter: FieldsAdapter) -> None:
    op = operator_for(adapter, "sensors", n=5)
    x = torch.randn(1, 2, 4, 5, dtype=F64)
    y = op.forward(adapter.decode(x))[0]
    lifted, y_state = state_problem(adapter, op, y)
    assert torch.allclose(lifted.forward(x)[0], y_state, atol=1e-12)


def test_svd_is_kept_for_a_single_scale_and_dense_for_per_channel_scales(gaussian_fields: GaussianFields) -> None:
    shared = FieldsAdapter(source="netcdf", path=str(gaussian_fields.path), per_channel=False)
    shared.datasets(0)
    blur = Blur.gaussian((2, 4, 5), 0.3)
    y = torch.zeros(blur.out_shape, dtype=F64)
    assert state_problem(shared, blur, y)[0].has_svd
    per = FieldsAdapter(source="netcdf", path=str(gaussian_fields.path))
    per.datasets(0)
    assert not state_problem(per, blur, y)[0].has_svd
    dense = state_problem(per, blur, y, needs_svd=True)[0]
    assert dense.has_svd and check_operator(dense, generator=2, rtol=1e-9).passed


def test_masks_and_sensors_shaped_unlike_the_field_are_refused(adapter: FieldsAdapter) -> None:
    with pytest.raises(ValueError, match=r"the mask has shape \(3, 3\); the field is \(2, 4, 5\) \(or give \(4, 5\)\)"):
        operator_for(adapter, "mask", mask=[[True] * 3] * 3)
    with pytest.raises(ValueError, match=r"the sensor mask has shape \(5, 4\); the field's grid is \(4, 5\)"):
        operator_for(adapter, "sensors", mask=[[True] * 4] * 5)
    with pytest.raises(ValueError, match=r"sensor location \[4, 0\] lies outside the \(4, 5\) grid"):
        operator_for(adapter, "sensors", locations=[[4, 0]])
    with pytest.raises(ValueError, match=r"channel 'u' is not one of this field's channels \['a', 'b'\]"):
        operator_for(adapter, "sensors", n=3, channels=["u"])
    with pytest.raises(ValueError, match=r"the number of sensors must be in \[1, 20\]"):
        operator_for(adapter, "sensors", n=21)
    with pytest.raises(ValueError, match=r"the darcy operator needs the stacked \(a, u\) Darcy fields"):
        operator_for(adapter, "darcy", observe="u")


def test_missing_sensor_values_are_left_out_and_other_operators_refuse_them() -> None:
    op = Mask(torch.tensor([[True, False, True], [True, True, False]]))
    y = torch.tensor([1.0, float("nan"), 3.0, 4.0], dtype=F64)
    reduced, y2 = drop_missing(op, y)
    assert reduced.mask.tolist() == [[True, False, False], [True, True, False]] and y2.tolist() == [1.0, 3.0, 4.0]
    image = observation_image(reduced, y2)
    assert image[0, 0] == 1.0 and image[1, 1] == 4.0 and bool(image[0, 2].isnan())
    blur = Blur.gaussian((6, 6), 0.5)
    with pytest.raises(ValueError, match=r"the observation has 1 NaN or inf values; only a sensor Mask"):
        drop_missing(
            blur,
            torch.full((6, 6), 0.0, dtype=F64).index_put_(
                (torch.tensor(0), torch.tensor(0)), torch.tensor(float("nan"), dtype=F64)
            ),
        )
    with pytest.raises(ValueError, match=r"every observed value is NaN"):
        drop_missing(op, torch.full((4,), float("nan"), dtype=F64))


def test_navier_stokes_black_box_is_the_simulator_then_the_observation(tmp_path) -> None:
    from fields_gaussian import write_gaussian_fields

    g = write_gaussian_fields(tmp_path / "w.nc", (1, 16, 16), n=20, names=("vorticity",))
    adapter = FieldsAdapter(source="netcdf", path=str(g.path), periodic=True, viscosity=1e-2)
    adapter.datasets(0)
    op = operator_for(adapter, "navier_stokes", t_final=0.05, observe="coarse", factor=4, dt=0.01)
    assert not op.differentiable and op.in_shape == (1, 16, 16) and op.out_shape == (4, 4)
    w0 = torch.randn(2, 1, 16, 16, dtype=F64)
    sim = NavierStokes2D(16, 1e-2, kolmogorov_forcing(16), 0.01)
    expected = Downsample(4, (16, 16)).forward(sim.simulate(w0[:, 0], 0.05))
    assert torch.equal(op.forward(w0), expected)
    # nonlinear operators are composed with the decode, not shifted like linear ones
    lifted, y = state_problem(adapter, op, expected[0])
    x = adapter.encode(w0).double()
    assert not lifted.differentiable and torch.equal(y, expected[0])
    assert torch.allclose(lifted.forward(x), op.forward(adapter.decode(x)), atol=1e-12)
    sensors = operator_for(adapter, "navier_stokes", t_final=0.05, n=10)
    assert sensors.out_shape == (10,)
    grid = torch.zeros(16, 16, dtype=torch.bool)
    grid[3, 5] = grid[12, 0] = True  # an explicit sensor map is used, not replaced by n random sensors
    mapped = operator_for(adapter, "navier_stokes", t_final=0.05, mask=grid.tolist())
    w = sim.simulate(w0[:, 0], 0.05)
    assert torch.equal(mapped.forward(w0), torch.stack([w[:, 3, 5], w[:, 12, 0]], dim=1))
    with pytest.raises(ValueError, match=r"the sensor mask has shape \(4, 4\); the field's grid is \(16, 16\)"):
        operator_for(adapter, "navier_stokes", mask=torch.ones(4, 4, dtype=torch.bool).tolist())


@pytest.mark.parametrize(("name", "out_dim"), [("box", 2 * (20 - 4)), ("sensors", 2 * 20)])
def test_operator_configs_shipped_with_the_package_build_the_fields_operators(
    adapter: FieldsAdapter, name: str, out_dim: int
) -> None:
    """configs/operator/<name>.yaml as installed (sciddiff.configs) builds with its defaults (sensors with n = 20,
    every pixel of this small grid, on both channels; the default box hides 2 x 2 pixels of each channel)."""
    from importlib.resources import files

    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(str(files("sciddiff.configs") / "operator" / f"{name}.yaml")))
    if name == "sensors":
        cfg["kwargs"]["n"] = 20
    assert operator_for(adapter, cfg["name"], **cfg["kwargs"]).out_dim == out_dim
