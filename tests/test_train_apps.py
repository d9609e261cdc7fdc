"""The sample, solve and evaluate apps, checked against exact answers with an exact oracle in place of a network.

The tabular adapter standardises rows, z = (x - m) / s; for Gaussian data x ~ N(mu, S) the state then has the
exact prior N((mu - m) / s, S / (s s^T)), whose denoiser stands in for a trained network. Operators act on x
(physical units), so these tests check the lift of an operator and its observation to the state, the decoding of
posterior samples, the likelihood's Jacobian term, and per-sample seeding under chunking.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import torch
import xarray as xr
from sciddiff.domains.tabular import TabularAdapter
from train_setup import app_config, train_config

from sciddiff.analytic import Gaussian
from sciddiff.processes import VP
from sciddiff.train import TrainedModel, fit
from sciddiff.train.apps import evaluate, sample, solve
from sciddiff.train.likelihood import bits_per_dim

F64 = torch.float64
MU = torch.tensor([3.0, -1.0, 10.0], dtype=F64)
ROOT = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.5, 0.0], [-0.4, 0.3, 2.0]], dtype=F64)
COV = ROOT @ ROOT.T


@pytest.fixture(scope="module")
def exact() -> TrainedModel:
    """A 'trained model' whose denoiser is the exact one of the standardised Gaussian data."""
    g = torch.Generator().manual_seed(0)
    rows = MU + torch.randn(3000, 3, generator=g, dtype=F64) @ ROOT.T
    adapter = TabularAdapter(frame=pd.DataFrame(rows.numpy(), columns=["a", "b", "c"]))
    adapter.datasets(seed=0)
    m, s = adapter.mean, adapter.std
    state_prior = Gaussian((MU - m) / s, COV / (s[:, None] * s[None, :]))
    process = VP()
    record = {"plugin": {"name": "tabular", "version": "1"}, "process": {"name": "vp"}, "seed": 0}
    return TrainedModel(adapter, process, state_prior.denoiser(process), record, Path("exact"), True)


def test_solve_gives_the_closed_form_posterior_in_physical_units(exact: TrainedModel, tmp_path: Path) -> None:
    cfg = app_config(
        "solve",
        "checkpoint=none",
        "guidance=mmps",
        "guidance.steps=200",
        "n_samples=4000",
        "noise_std=0.3",
        "observation.n=2",
        "+operator.kwargs.observed=[0,2]",
        "+guidance.options.cg_iterations=10",
    )
    out = solve.run(cfg, tmp_path, model=exact)
    a = torch.zeros(2, 3, dtype=F64)
    a[0, 0] = a[1, 2] = 1.0
    ds = xr.open_dataset(tmp_path / "posterior.nc")
    for j in range(2):
        y = torch.as_tensor(ds["observation"].values[j], dtype=F64)
        post = Gaussian(MU, COV).posterior(a, y, 0.3**2)
        mean = torch.as_tensor(ds["x_mean"].values[j], dtype=F64)
        std = post.covariance().diagonal().sqrt()
        assert torch.allclose(mean, post.mean(), atol=float(4 * std.max() / math.sqrt(4000) + 0.01))
        assert torch.allclose(torch.as_tensor(ds["x_std"].values[j], dtype=F64), std, rtol=0.08)
        truth = torch.as_tensor(ds["x_truth"].values[j], dtype=F64)
        assert torch.allclose(truth, out["truth"][j])
    assert ds["x"].shape == (2, 4000, 3) and list(ds["column"].values) == ["a", "b", "c"]
    assert ds["x_quantile"].shape == (5, 2, 3) and ds.attrs["method"] == "mmps"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "calibration.nc",
        "coverage.png",
        "posterior-0.png",
        "posterior-1.png",
        "posterior.nc",
        "sbc.png",
        "summary.json",
    ]
    with pytest.raises(ValueError, match="already exists; sciddiff never overwrites outputs"):
        solve.run(cfg, tmp_path, model=exact)


def test_simulation_based_calibration_of_a_trained_model_from_its_own_prior(
    exact: TrainedModel, tmp_path: Path
) -> None:
    """Truths drawn from the model, y simulated in physical units, posterior by an exact method: SBC ranks are
    uniform, TARP coverage is nominal and the predictive chi-square is about 1 (about 2 with the noise counted
    twice: y - A x for a posterior sample has variance Sigma_y + A Cov[x | y] A^T)."""
    cfg = app_config(
        "solve",
        "checkpoint=none",
        "guidance=mmps",
        "guidance.steps=60",
        "n_samples=100",
        "noise_std=0.5",
        "observation.source=model",
        "observation.n=60",
        "operator=matrix",
        "operator.random.rows=2",
        "+guidance.options.cg_iterations=10",
        "figures=0",
    )
    summary = solve.run(cfg, tmp_path, model=exact)["summary"]
    assert summary["sbc_min_p_value"] > 1e-3
    assert abs(summary["tarp_coverage_90"] - 0.9) < 0.12
    assert 0.8 < summary["mean_reduced_chi2"] < 2.2
    ranks = xr.open_dataset(tmp_path / "calibration.nc")["sbc_rank"]
    assert ranks.shape == (60, 3) and int(ranks.max()) <= 100


def test_svd_methods_get_an_exact_svd_of_the_lifted_operator(exact: TrainedModel, tmp_path: Path) -> None:
    cfg = app_config(
        "solve",
        "checkpoint=none",
        "guidance=ddrm",
        "guidance.steps=50",
        "n_samples=200",
        "noise_std=0.3",
        "observation.n=1",
        "operator=identity",
    )
    out = solve.run(cfg, tmp_path, model=exact)
    assert out["samples"][0].shape == (200, 3) and torch.isfinite(out["samples"][0]).all()


def test_bits_per_dim_includes_the_normalisation_jacobian(exact: TrainedModel) -> None:
    x_raw = MU + torch.tensor([[0.5, -0.3, 1.0], [-1.0, 0.2, -2.0]], dtype=F64)
    x_state = exact.adapter.encode(x_raw).double()
    state_prior = exact.denoiser.mixture
    p_max = state_prior.marginal(exact.process, exact.process.t_max).log_prob  # no prior-mismatch error
    bpd = bits_per_dim(exact, x_state, divergence="exact", rtol=1e-7, atol=1e-7, prior_log_prob=p_max)
    expected = -Gaussian(MU, COV).log_prob(x_raw) / (3 * math.log(2.0))
    assert torch.allclose(bpd, expected, rtol=2e-3)


def test_sampling_is_identical_whatever_the_chunk_size(exact: TrainedModel, tmp_path: Path) -> None:
    runs = []
    for i, chunk in enumerate(["null", "7"]):
        cfg = app_config("sample", "checkpoint=none", "n_samples=20", "solver.steps=6", f"chunk_size={chunk}")
        runs.append(sample.run(cfg, tmp_path / str(i), model=exact)["samples"])
    assert torch.equal(runs[0], runs[1])
    ds = xr.open_dataset(tmp_path / "0" / "samples.nc")
    assert ds.attrs["solver"] == "dpmpp_2m" and ds.attrs["steps"] == 6 and ds["x"].shape == (20, 3)
    assert (tmp_path / "0" / "samples.csv").read_text().startswith("a,b,c\n")


def test_sampling_defaults_to_the_solver_the_checkpoint_was_validated_with(exact: TrainedModel, tmp_path: Path) -> None:
    """``solver=checkpoint`` (the default) takes solver, steps and grid from the record; steps can be overridden."""
    record = {**exact.record, "validation": {"solver": "unipc", "steps": 7, "grid": "uniform_logsnr"}}
    model = TrainedModel(exact.adapter, exact.process, exact.denoiser, record, exact.path, True)
    drawn = sample.run(app_config("sample", "checkpoint=none", "n_samples=16"), tmp_path / "a", model=model)
    expected = exact.adapter.decode(model.sample(16, "unipc", 7, grid="uniform_logsnr"))
    assert torch.equal(drawn["samples"], expected)
    assert not torch.equal(drawn["samples"], exact.adapter.decode(model.sample(16, "unipc", 7)))  # karras differs
    ds = xr.open_dataset(tmp_path / "a" / "samples.nc")
    assert ds.attrs["solver"] == "unipc" and ds.attrs["steps"] == 7
    cfg = app_config("sample", "checkpoint=none", "n_samples=16", "solver.steps=5")
    assert sample.run(cfg, tmp_path / "b", model=model)["samples"].shape == (16, 3)
    assert xr.open_dataset(tmp_path / "b" / "samples.nc").attrs["steps"] == 5


def test_train_then_sample_solve_and_evaluate_a_real_checkpoint(tmp_path: Path) -> None:
    """The worked tabular adapter end to end on a CSV file, through the functions the console apps run: a short
    run on correlated Gaussian rows already reproduces their mean and covariance."""
    g = torch.Generator().manual_seed(1)
    rows = MU + torch.randn(2000, 3, generator=g, dtype=F64) @ ROOT.T
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows.tolist()) + "\n")
    overrides = (
        f"domain.options.path={csv}",
        "trainer.max_steps=300",
        "trainer.val_check_interval=300",
        "optim.lr=3e-3",
    )
    result = fit(train_config(*overrides), tmp_path / "train")
    ckpt = f"checkpoint={result.last}"
    drawn = sample.run(app_config("sample", ckpt, "n_samples=1000", "solver=unipc", "solver.steps=12"), tmp_path / "s")
    x = drawn["samples"]
    assert torch.allclose(x.mean(0), MU, atol=0.25)
    assert float((torch.cov(x.T) - COV).norm() / COV.norm()) < 0.2
    cfg = app_config(
        "solve", ckpt, "n_samples=64", "observation.n=2", "guidance.steps=20", "+operator.kwargs.observed=[0]"
    )
    assert solve.run(cfg, tmp_path / "p")["samples"][0].shape == (64, 3)
    metrics = evaluate.run(app_config("evaluate", ckpt, "n_samples=200", "nll.n=8", "solver.steps=8"), tmp_path / "e")
    assert set(metrics["metrics"]) == {"sliced_w2", "mean_error"} and metrics["bits_per_dim"]["n"] == 8
    exact_bpd = -Gaussian(MU, COV).log_prob(rows[:200]).mean() / (3 * math.log(2.0))  # about 2.4
    assert abs(metrics["bits_per_dim"]["mean"] - float(exact_bpd)) < 0.25


class Counts(TabularAdapter):
    """Integer-valued rows (bin width 2 in raw units), identity-encoded: exercises the dequantisation term."""

    dequantization = 2.0

    def __init__(self) -> None:
        super().__init__(builtin="ring")
        self.mean, self.std = torch.zeros(3, dtype=F64), torch.ones(3, dtype=F64)


def test_bits_per_dim_of_integer_data_dequantises_and_adds_the_bin_volume() -> None:
    process, prior = VP(), Gaussian(MU, COV)
    model = TrainedModel(Counts(), process, prior.denoiser(process), {"seed": 0}, Path("exact"), True)
    x = torch.tensor([[2.0, -2.0, 10.0], [4.0, 0.0, 8.0]], dtype=F64)
    p_max = prior.marginal(process, process.t_max).log_prob  # the exact p(t_max): no prior-mismatch error
    bpd = bits_per_dim(model, x, seed=5, divergence="exact", rtol=1e-7, atol=1e-7, prior_log_prob=p_max)
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(5), dtype=F64)
    expected = -(prior.log_prob(x + 2.0 * u) + 3 * math.log(2.0)) / (3 * math.log(2.0))
    assert torch.allclose(bpd, expected, rtol=2e-3)
