"""The README's first example runs as written, and the main-job app writes what it promises."""

from __future__ import annotations

import math
import re
from pathlib import Path

import scipy.stats
import torch
import xarray as xr
from hydra import compose, initialize_config_module

from sciddiff.train.apps.demo import run

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_runs() -> None:
    text = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["info"].nfe == 10
    assert scope["samples"].shape == (1000, 2) and scope["log_p"].shape == (8,)
    assert torch.isfinite(scope["log_p"]).all()


def test_demo_writes_netcdf_and_figure(tmp_path: Path) -> None:
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = compose("demo", overrides=["n_samples=400", "solvers=[ddim,dpmpp_2m,em]"])
    scores = run(cfg, tmp_path)
    data = xr.open_dataset(tmp_path / "samples.nc")
    assert list(data["solver"].values) == ["ddim", "dpmpp_2m", "em"]
    assert data["samples"].shape == (3, 400, 2) and data.attrs["process"] == "vp"
    assert (tmp_path / "samples.png").stat().st_size > 10_000
    assert scores["dpmpp_2m"]["nfe"] == 10 and 0 < scores["dpmpp_2m"]["flow_map_rms"] < 0.5
    assert math.isnan(scores["em"]["flow_map_rms"])  # no flow map for a stochastic sampler
    assert all(0.5 < s["sliced_w2_over_floor"] < 5 for s in scores.values())


def test_calibrate_app_writes_ranks_and_figures(tmp_path: Path) -> None:
    from sciddiff.train.apps.calibrate import run as calibrate

    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = compose("calibrate", overrides=["n_instances=8", "n_posterior=50", "steps=20", "method=mmps"])
    summary = calibrate(cfg, tmp_path)
    data = xr.open_dataset(tmp_path / "calibration.nc")
    assert data["sbc_rank"].shape == (8, 8) and int(data["sbc_rank"].max()) <= 50
    assert data.attrs["method"] == "mmps"
    assert 0 <= summary["coverage_90_hpd"] <= 1 and summary["mean_reduced_chi2"] > 0
    assert (tmp_path / "sbc.png").exists() and (tmp_path / "coverage.png").exists()


def test_readme_posterior_example_runs() -> None:
    text = (ROOT / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "posterior_sample" in c)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["samples"].shape == (500, 8) and scope["info"].cost.nfe == 101
    assert scope["exact"].n_components == 25


def test_quickstart_trains_samples_solves_and_scores_against_exact_answers(tmp_path: Path) -> None:
    from sciddiff.train.apps.quickstart import run as quickstart

    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = compose(
            "quickstart",
            overrides=[
                _list_override(
                    "train",
                    "domain=tabular",
                    "domain.options.n=1000",
                    "trainer.max_steps=30",
                    "trainer.val_check_interval=30",
                    "+model.kwargs.hidden=32",
                    "+model.kwargs.depth=2",
                    "data.batch_size=128",
                    "trainer.enable_progress_bar=false",
                ),
                "n_samples=200",
                "steps=6",
                _list_override(
                    "solve",
                    "operator=mask",
                    "+operator.kwargs.observed=[0]",
                    "guidance=smc",
                    "guidance.steps=10",
                    "n_samples=50",
                    "observation.n=2",
                    "noise_std=0.2",
                ),
            ],
        )
    report = quickstart(cfg, tmp_path)
    assert report["train_steps"] == 30 and set(report["samples"]) == {"unipc", "dpmpp_2m"}
    assert all(v["sliced_w2_over_floor"] > 0.5 for v in report["samples"].values())
    assert (
        0.0 <= report["posterior"]["coverage_90"] <= 1.0 and report["posterior"]["sliced_w2_over_floor_vs_exact"] > 0.5
    )
    for path in ("train/checkpoints/last.ckpt", "samples-unipc/samples.nc", "posterior/posterior.nc", "report.json"):
        assert (tmp_path / path).exists(), path
    post = xr.open_dataset(tmp_path / "posterior" / "posterior.nc")
    assert post["x"].shape == (2, 50, 2) and post["x_std"].shape == (2, 2)


def _list_override(key: str, *items: str) -> str:
    """A Hydra override setting ``key`` to a list of strings (each quoted, since they contain '=')."""
    return f"{key}=[" + ",".join(f"'{item}'" for item in items) + "]"


def test_readme_training_example_runs(tmp_path: Path, monkeypatch) -> None:
    text = (ROOT / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "load_trained" in c)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["rows"].shape == (500, 2) and torch.isfinite(scope["rows"]).all()
    assert scope["result"].steps == 200 and (tmp_path / "outputs" / "readme-run" / "config.yaml").exists()


def test_readme_categorical_example_draws_the_exact_laws() -> None:
    """First-hitting draws follow p; replacement draws keep position 0 and follow p(x1, x2 | x0 = 2) (chi-square)."""
    text = (ROOT / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "first_hitting" in c)
    torch.manual_seed(0)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    oracle, draws, completed = scope["oracle"], scope["draws"], scope["completed"]
    law = oracle.probs.reshape(-1)
    counts = torch.bincount(oracle.index(draws), minlength=64).double()
    assert scipy.stats.chisquare(counts.numpy(), (law * 1000).numpy()).pvalue > 1e-3
    assert bool((completed[:, 0] == 2).all())
    conditional = oracle.probs[2] / oracle.probs[2].sum()
    counts = torch.bincount(completed[:, 1] * 4 + completed[:, 2], minlength=16).double()
    assert scipy.stats.chisquare(counts.numpy(), (conditional.reshape(-1) * 1000).numpy()).pvalue > 1e-3
