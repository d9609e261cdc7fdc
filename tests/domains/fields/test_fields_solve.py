"""Posterior sampling through the fields domain's solve path and through ``sciddiff-solve`` with the domain's
operator hook, checked against the closed-form posterior of an exact Gaussian prior in physical units."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import xarray as xr
from fields_gaussian import GaussianFields, write_gaussian_fields
from hydra import compose, initialize_config_module
from sciddiff.domains.fields import FieldsAdapter
from sciddiff.domains.fields.solve import observation_image, plot_reconstruction, reconstruct, write_reconstructions

from sciddiff.analytic import Gaussian
from sciddiff.processes import VP
from sciddiff.train import TrainedModel
from sciddiff.train.apps import solve
from sciddiff.train.build import plain

F64 = torch.float64


def exact_prior(adapter: FieldsAdapter, g: GaussianFields):
    """The exact state-space prior N((mu - m) / s, S / (s s^T)) of the adapter's normalised fields."""
    s = adapter.scale.expand(g.shape).reshape(-1)
    m = adapter.offset.expand(g.shape).reshape(-1)
    return Gaussian((g.mu - m) / s, g.cov / (s[:, None] * s[None, :]), event_shape=g.shape)


def test_domain_solve_path_matches_the_closed_form_posterior(gaussian_fields: GaussianFields, tmp_path: Path) -> None:
    g = gaussian_fields
    adapter = FieldsAdapter(source="netcdf", path=str(g.path))
    adapter.datasets(0)
    process = VP()
    op = adapter.operator({"name": "sensors", "kwargs": {"n": 6, "seed": 1}}, adapter.shape)
    truth = g.mu + torch.linalg.cholesky(g.cov) @ torch.randn(40, generator=torch.Generator().manual_seed(5), dtype=F64)
    truth = truth.reshape(g.shape)
    y = op.forward(truth[None])[0] + 0.1 * torch.randn(
        op.out_shape, generator=torch.Generator().manual_seed(6), dtype=F64
    )
    y_missing = y.clone()
    y_missing[3] = float("nan")
    rec = reconstruct(
        adapter,
        exact_prior(adapter, g).denoiser(process),
        process,
        op,
        y_missing,
        0.1,
        "mmps",
        200,
        1000,
        seed=0,
        options={"cg_iterations": 20},
    )
    keep = torch.ones(12, dtype=torch.bool)
    keep[3] = False
    post = Gaussian(g.mu, g.cov).posterior(op.dense()[keep], y[keep], 0.1**2)
    std = post.covariance().diagonal().sqrt().reshape(g.shape)
    assert rec.samples.shape == (1000, 2, 4, 5)
    assert torch.allclose(rec.mean, post.mean().reshape(g.shape), atol=float(4 * std.max() / math.sqrt(1000)))
    assert torch.allclose(rec.std, std, rtol=0.12)  # 4 standard errors of a std from 1000 samples, plus bias
    path = write_reconstructions(adapter, [rec], tmp_path / "posterior.nc", {"method": "mmps"}, truth=truth[None])
    ds = xr.open_dataset(path)
    assert ds["a_mean"].dims == ("obs", "y", "x") and ds["b_std"].shape == (1, 4, 5)
    assert ds["a"].attrs["units"] == "unit_a" and float(ds["y"][-1]) == 2.0
    assert torch.allclose(torch.as_tensor(ds["a_truth"].values[0], dtype=F64), truth[0])
    figure = plot_reconstruction(rec.mean, rec.std, tmp_path / "rec.png", truth, observation_image(op, y), ["a", "b"])
    assert figure.stat().st_size > 10_000
    with pytest.raises(ValueError, match="already exists"):
        write_reconstructions(adapter, [rec], path, {})


def exact_one_channel_model(tmp_path: Path) -> tuple[GaussianFields, FieldsAdapter, TrainedModel]:
    """A one-channel 4x5 Gaussian field file, its fitted adapter and the exact prior as a trained model."""
    g = write_gaussian_fields(tmp_path / "one.nc", (1, 4, 5), names=("a",))
    adapter = FieldsAdapter(source="netcdf", path=str(g.path))
    adapter.datasets(0)
    process = VP()
    record = {"plugin": {"name": "fields", "version": "1"}, "process": {"name": "vp"}, "seed": 0}
    model = TrainedModel(adapter, process, exact_prior(adapter, g).denoiser(process), record, Path("exact"), True)
    return g, adapter, model


def exact_solve_config(*overrides: str) -> dict:
    """The sciddiff-solve config of these tests: MMPS, 200 steps, 1000 samples, noise 0.2, one figure."""
    common = ["checkpoint=none", "guidance=mmps", "guidance.steps=200", "n_samples=1000", "noise_std=0.2",
              "+guidance.options.cg_iterations=20", "figures=1"]  # fmt: skip
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose("solve", overrides=[*common, *overrides]))


def test_sciddiff_solve_uses_the_domain_operator_hook(tmp_path: Path) -> None:
    g, adapter, model = exact_one_channel_model(tmp_path)
    cfg = exact_solve_config("observation.n=2", "operator.name=box", "+operator.kwargs.box=[1,3,1,4]")
    out = solve.run(cfg, tmp_path / "out", model=model)
    means = torch.stack([s.mean(0) for s in out["samples"]]).double()
    err = (means - out["truth"]).flatten(1).norm(dim=1) / out["truth"].flatten(1).norm(dim=1)
    assert out["summary"]["rel_l2"] == pytest.approx(float(err.mean()), rel=1e-9)  # the domain's scores, by hand
    ds = xr.open_dataset(tmp_path / "out" / "posterior.nc")
    op = adapter.operator({"name": "box", "kwargs": {"box": [1, 3, 1, 4]}}, (1, 4, 5))
    assert op.out_dim == 14 and ds["observation"].shape == (2, 14)
    assert list(ds["y"].values) == list(g.y)  # the field's grid coordinate is not overwritten by the observations
    for j in range(2):
        post = Gaussian(g.mu, g.cov).posterior(
            op.dense(), torch.as_tensor(ds["observation"].values[j], dtype=F64), 0.2**2
        )
        std = post.covariance().diagonal().sqrt().reshape(1, 4, 5)
        mean = torch.as_tensor(ds["a_mean"].values[j], dtype=F64)[None]
        assert torch.allclose(mean, post.mean().reshape(1, 4, 5), atol=float(4 * std.max() / math.sqrt(1000)))
        assert torch.allclose(torch.as_tensor(ds["a_std"].values[j], dtype=F64)[None], std, rtol=0.12)
    assert list(ds["x"].values) == list(g.x) and (tmp_path / "out" / "posterior-0.png").exists()


def test_sciddiff_solve_leaves_out_sensors_that_recorded_nan(tmp_path: Path) -> None:
    """An observation file with a NaN sensor: the posterior is the closed form given the other sensors, and the
    figure is the domain's (truth-free here, with the observation panel)."""
    g, adapter, model = exact_one_channel_model(tmp_path)
    op = adapter.operator({"name": "sensors", "kwargs": {"n": 6, "seed": 2}}, (1, 4, 5))
    y = op.forward(g.mu.reshape(1, 1, 4, 5))[0] + 0.3
    y[2] = float("nan")
    xr.Dataset({"y": (("obs", "sensor"), y[None].numpy())}).to_netcdf(tmp_path / "y.nc")
    cfg = exact_solve_config(
        "observation.source=file", f"+observation.file={tmp_path / 'y.nc'}", "operator.name=sensors",
        "+operator.kwargs.n=6", "+operator.kwargs.seed=2",
    )  # fmt: skip
    out = solve.run(cfg, tmp_path / "out", model=model)
    keep = torch.isfinite(y)
    post = Gaussian(g.mu, g.cov).posterior(op.dense()[keep], y[keep], 0.2**2)
    std = post.covariance().diagonal().sqrt().reshape(1, 4, 5)
    mean = out["samples"][0].mean(0)
    assert torch.allclose(mean, post.mean().reshape(1, 4, 5), atol=float(4 * std.max() / math.sqrt(1000)))
    assert torch.allclose(out["samples"][0].std(0), std, rtol=0.12)
    pixel = int(op.observed[2])  # the silent sensor's pixel stays as uncertain as if it had no sensor
    y_full = y.clone()
    y_full[2] = 0.0
    observed = Gaussian(g.mu, g.cov).posterior(op.dense(), y_full, 0.2**2).covariance().diagonal().sqrt()
    assert float(std.reshape(-1)[pixel]) > 2 * float(observed[pixel])
    assert (tmp_path / "out" / "posterior-0.png").stat().st_size > 10_000


def test_sciddiff_solve_refuses_to_project_fields_without_an_exact_constraint(tmp_path: Path) -> None:
    _, _, model = exact_one_channel_model(tmp_path)
    cfg = exact_solve_config("observation.n=1", "n_samples=2", "guidance.steps=2", "project=true")
    with pytest.raises(ValueError, match="only Darcy fields have an exact constraint to project onto, not 'netcdf'"):
        solve.run(cfg, tmp_path / "out", model=model)
    assert not (tmp_path / "out" / "posterior.nc").exists()
