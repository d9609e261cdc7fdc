"""The fields adapter: exact normalisation and round trips, xarray I/O with units and coordinates, resampling,
persistence, and refusals of fields the model cannot take."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from fields_gaussian import GaussianFields, write_gaussian_fields
from sciddiff.domains.fields import FieldsAdapter

F64 = torch.float64


def fitted(g: GaussianFields, **options: object) -> tuple[FieldsAdapter, dict]:
    adapter = FieldsAdapter(source="netcdf", path=str(g.path), **options)
    return adapter, adapter.datasets(seed=0)


def raw_fields(g: GaussianFields) -> torch.Tensor:
    with xr.open_dataset(g.path) as ds:
        return torch.as_tensor(np.stack([ds[v].values for v in g.names], 1), dtype=F64)


def test_per_channel_standardisation_is_exact_on_the_train_split(gaussian_fields: GaussianFields) -> None:
    adapter, splits = fitted(gaussian_fields)
    x = torch.stack([splits["train"][i]["x"] for i in range(len(splits["train"]))]).double()
    assert x.shape[1:] == (2, 4, 5) and sum(len(s) for s in splits.values()) == 600
    assert torch.allclose(x.mean((0, 2, 3)), torch.zeros(2, dtype=F64), atol=1e-6)
    assert torch.allclose(x.std((0, 2, 3)), torch.ones(2, dtype=F64), atol=1e-6)
    # channel scales differ by 150x (3 vs 0.02): per-channel normalisation, not one scale
    assert adapter.scale.shape == (2, 1, 1) and float(adapter.scale[0] / adapter.scale[1]) > 50


def test_decode_inverts_encode_and_is_the_declared_affine_map(gaussian_fields: GaussianFields) -> None:
    adapter, _ = fitted(gaussian_fields)
    raw = raw_fields(gaussian_fields)[:50]
    back = adapter.decode(adapter.encode(raw))
    rel = (back - raw).abs() / adapter.scale
    assert float(rel.max()) < 1e-6  # float32 state: relative rounding only
    scale, offset = adapter.affine()
    x = torch.randn(3, 2, 4, 5, dtype=F64)
    assert torch.equal(adapter.decode(x), x * scale + offset)
    c_h_w = 4 * 5
    expected = -c_h_w * (math.log(float(scale[0])) + math.log(float(scale[1])))
    assert torch.allclose(adapter.log_det_jacobian(x), torch.full((3,), expected, dtype=F64))


def test_range_normalisation_maps_train_extremes_to_minus_one_and_one(gaussian_fields: GaussianFields) -> None:
    adapter, splits = fitted(gaussian_fields, normalization="range", per_channel=False)
    x = torch.stack([splits["train"][i]["x"] for i in range(len(splits["train"]))]).double()
    assert adapter.scale.shape == (1, 1, 1)
    assert math.isclose(float(x.min()), -1.0, abs_tol=1e-6) and math.isclose(float(x.max()), 1.0, abs_tol=1e-6)


def test_state_dict_restores_an_identical_decoder(gaussian_fields: GaussianFields) -> None:
    adapter, _ = fitted(gaussian_fields)
    fresh = FieldsAdapter(source="netcdf", path=str(gaussian_fields.path))
    fresh.load_state_dict(adapter.state_dict())
    x = torch.randn(2, 2, 4, 5)
    assert torch.equal(fresh.decode(x), adapter.decode(x))
    assert fresh.to_xarray(fresh.decode(x), {}).identical(adapter.to_xarray(adapter.decode(x), {}))


def test_xarray_output_carries_coordinates_units_and_names_and_reads_back(gaussian_fields: GaussianFields) -> None:
    adapter, _ = fitted(gaussian_fields)
    raw = raw_fields(gaussian_fields)[:3]
    ds = adapter.to_xarray(raw, {"note": "test"})
    assert list(ds.data_vars) == ["a", "b"] and ds["a"].dims == ("sample", "y", "x")
    assert ds["a"].attrs["units"] == "unit_a" and ds["b"].attrs["long_name"] == "field b"
    np.testing.assert_array_equal(ds["y"].values, gaussian_fields.y)
    assert ds["x"].attrs["units"] == "m" and ds.attrs["note"] == "test" and ds.attrs["domain"] == "bounded"
    assert torch.equal(adapter.from_xarray(ds), raw)
    shifted = ds.assign_coords(x=ds["x"].values + 0.5)  # same shape, another domain: refused, not misread
    with pytest.raises(ValueError, match=r"the data's x coordinates \(5 points in .*differ from the model's grid"):
        adapter.encode(shifted)
    assert torch.equal(adapter.from_xarray(ds.drop_vars(["x", "y"])), raw)  # bare arrays are taken as on the grid
    ds["b"].attrs["units"] = "kelvin"
    with pytest.raises(ValueError, match=r"variable 'b' is in units 'kelvin'; this model expects 'unit_b'"):
        adapter.encode(ds)


def test_wrong_channel_count_and_resolution_are_refused_with_reasons(gaussian_fields: GaussianFields) -> None:
    adapter, _ = fitted(gaussian_fields)
    with pytest.raises(ValueError, match=r"have 3 channels; this model was trained on 2 \(a, b\)"):
        adapter.encode(torch.zeros(1, 3, 4, 5))
    with pytest.raises(ValueError, match=r"are 8x10; this model was trained on 4x5 grids.*resample=True"):
        adapter.encode(torch.zeros(1, 2, 8, 10))
    with pytest.raises(ValueError, match=r"the dataset lacks variables \['b'\]"):
        adapter.encode(adapter.to_xarray(torch.zeros(1, 2, 4, 5), {})[["a"]])


def test_explicit_resampling_of_xarray_fields_by_their_coordinates(tmp_path: Path) -> None:
    g = write_gaussian_fields(tmp_path / "coarse.nc", (1, 5, 5), n=40, names=("a",))
    adapter = FieldsAdapter(source="netcdf", path=str(g.path))
    adapter.datasets(0)
    # a linear field on a finer grid over the same domain: linear interpolation reproduces it exactly
    yf, xf = np.linspace(0.0, 2.0, 9), np.linspace(-1.0, 1.0, 9)
    field = 3.0 * yf[:, None] - 2.0 * xf[None, :] + 1.0
    fine = xr.Dataset({"a": (("y", "x"), field, {"units": "unit_a"})}, coords={"y": yf, "x": xf})
    out = adapter.resample(fine)
    expected = 3.0 * g.y[:, None] - 2.0 * g.x[None, :] + 1.0
    assert out.shape == (1, 1, 5, 5)
    np.testing.assert_allclose(out[0, 0].numpy(), expected, atol=1e-12)
    assert torch.allclose(adapter.decode(adapter.encode(fine, resample=True)), out, rtol=1e-6, atol=1e-5)
    small = fine.sel(y=slice(0.0, 1.0))
    with pytest.raises(ValueError, match=r"leaves points outside the data.s grid"):
        adapter.resample(small)


def test_periodic_fourier_resampling_is_exact_for_band_limited_fields(tmp_path: Path) -> None:
    g = write_gaussian_fields(tmp_path / "p.nc", (1, 8, 8), n=30, names=("w",))
    adapter = FieldsAdapter(source="netcdf", path=str(g.path), periodic=True)
    adapter.datasets(0)

    def trig(n: int) -> torch.Tensor:
        t = torch.arange(n, dtype=F64) / n * 2 * math.pi
        return (torch.sin(t)[:, None] * torch.cos(2 * t)[None, :] + 0.5 * torch.cos(3 * t)[:, None])[None, None]

    assert torch.allclose(adapter.resample(trig(32)), trig(8), atol=1e-12)
    assert adapter.default_backbone()["periodic"] is True


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown fields source 'mnist'"):
        FieldsAdapter(source="mnist")
    with pytest.raises(ValueError, match=r"class-conditional training needs labels; source 'phantoms'"):
        FieldsAdapter(source="phantoms", conditional=True)
    with pytest.raises(FileNotFoundError, match=r"no netCDF file at /nonexistent\.nc"):
        FieldsAdapter(source="netcdf", path="/nonexistent.nc").datasets(0)
    with pytest.raises(ValueError, match=r"Darcy data is generated at 32x32 or 64x64 nodes, got size=48"):
        FieldsAdapter(source="darcy", size=48).datasets(0)


def test_digits_are_labelled_and_dequantised_at_one_sixteenth() -> None:
    adapter = FieldsAdapter(source="digits")
    splits = adapter.datasets(0)
    item = splits["train"][0]
    assert item["cond"]["label"].dtype == torch.int64 and adapter.conditions() == {"num_classes": 10, "p_uncond": 0.1}
    raw = adapter.decode(torch.stack([splits["test"][i]["x"] for i in range(20)]))
    counts = raw * 16
    assert torch.allclose(counts, counts.round(), atol=1e-4) and adapter.dequantization == 1 / 16
    assert sum(len(s) for s in splits.values()) == 1797
