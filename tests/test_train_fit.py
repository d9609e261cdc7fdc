"""Training end to end on the tabular example adapter: checkpoints, EMA, logs, figures and run directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_setup import checkpoint_of, train_config

from sciddiff.train import EMA, fit, load_trained, read_checkpoint
from sciddiff.train.callbacks import read_metrics
from sciddiff.train.ema import ema_decay
from sciddiff.train.module import lr_factor


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("fit") / "run"
    return fit(train_config(), run_dir)


def test_checkpoint_is_plain_data_and_carries_the_record(run) -> None:
    ckpt = torch.load(run.last, weights_only=True)  # would raise for pickled objects
    rec = ckpt["sciddiff"]
    assert rec["format_version"] == 1 and rec["plugin"]["name"] == "tabular"
    assert rec["plugin"]["class"] == "sciddiff.domains.tabular.adapter:TabularAdapter"
    assert rec["process"] == {"name": "vp", "kwargs": {}}
    assert rec["backbone"] == {"name": "mlp", "dim": 2, "hidden": 32, "depth": 2, "emb_dim": 16}
    assert rec["model"]["sigma_data"] == 1.0  # "auto" resolved from the adapter
    assert set(rec["adapter"]["state"]) == {"mean", "std", "columns"}
    assert ckpt["global_step"] == 24 and run.steps == 24
    assert read_checkpoint(run.best)["sciddiff"]["plugin"] == rec["plugin"]


def test_sampling_uses_the_ema_weights_unless_told_otherwise(run) -> None:
    state = torch.load(run.last, weights_only=True)["state_dict"]
    ema, raw = load_trained(run.last), load_trained(run.last, ema=False)
    for name, value in ema.denoiser.state_dict().items():
        assert torch.equal(value, state[f"ema.module.{name}"])
        assert torch.equal(raw.denoiser.state_dict()[name], state[f"denoiser.{name}"])
    w = "net.out.weight" if "net.out.weight" in state else next(k for k in ema.denoiser.state_dict() if "weight" in k)
    assert not torch.equal(ema.denoiser.state_dict()[w], raw.denoiser.state_dict()[w])
    assert not any(p.requires_grad for p in ema.denoiser.parameters()) and not ema.denoiser.training


def test_metrics_log_figures_and_run_marker(run) -> None:
    rows = read_metrics(run.metrics)
    train = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train] == list(range(1, 25))
    assert all(r["loss"] > 0 and r["lr"] == pytest.approx(1e-3) for r in train)
    val = [r for r in rows if "val/loss" in r]
    assert [r["step"] for r in val] == [12, 24] and all("val/sliced_w2" in r for r in val)
    figures = sorted(p.name for p in (run.run_dir / "figures").iterdir())
    assert figures == ["loss.png", "samples-step0000012.png", "samples-step0000024.png"]
    assert (run.run_dir / "config.yaml").exists() and "finished" in (run.run_dir / "run.yaml").read_text()


def test_a_directory_holding_a_run_is_refused_and_left_intact(run) -> None:
    before = {p: p.stat().st_mtime_ns for p in run.run_dir.rglob("*") if p.is_file()}
    with pytest.raises(ValueError, match="already holds a run; pass resume=true"):
        fit(train_config(), run.run_dir)
    assert {p: p.stat().st_mtime_ns for p in run.run_dir.rglob("*") if p.is_file()} == before


def test_resume_needs_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no checkpoint to resume from"):
        fit(train_config("resume=true"), tmp_path / "empty")


def test_resume_keeps_earlier_config_snapshots(tmp_path: Path) -> None:
    result = fit(train_config("trainer.max_steps=8", "trainer.val_check_interval=8"), tmp_path / "r")
    first = (result.run_dir / "config.yaml").read_text()
    fit(train_config("trainer.max_steps=12", "trainer.val_check_interval=8", "resume=true"), result.run_dir)
    assert (result.run_dir / "config.yaml").read_text() == first
    assert "max_steps: 12" in (result.run_dir / "config.resume-1.yaml").read_text()
    assert torch.load(checkpoint_of(result.run_dir), weights_only=True)["global_step"] == 12


def test_ema_with_warmup_matches_its_closed_form() -> None:
    net = torch.nn.Linear(1, 1, bias=False)
    ema = EMA(net, decay=0.9, warmup=True)
    expected = None
    for n, w in enumerate([1.0, 3.0, -2.0, 5.0, 0.5]):
        with torch.no_grad():
            net.weight.fill_(w)
        ema.update(net)
        d = ema_decay(0.9, n - 1, True)
        expected = w if expected is None else d * expected + (1 - d) * w
        assert float(ema.module.weight.detach()) == pytest.approx(expected, rel=1e-6)
    assert ema_decay(0.9, 0, True) == pytest.approx(0.1) and ema_decay(0.9, 1000, True) == 0.9


def test_learning_rate_schedules() -> None:
    assert [lr_factor(s, "constant", 4, 10) for s in (0, 1, 3, 4, 9)] == [0.25, 0.5, 1.0, 1.0, 1.0]
    assert lr_factor(4, "cosine", 4, 10) == 1.0 and lr_factor(7, "cosine", 4, 10) == pytest.approx(0.5)
    assert lr_factor(10, "linear", 0, 10) == 0.0 and lr_factor(5, "linear", 0, 10) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'exp'"):
        lr_factor(0, "exp", 0, 10)


def test_metrics_log_only_appends(tmp_path: Path) -> None:
    log = tmp_path / "m.jsonl"
    log.write_text(
        json.dumps({"step": 1, "epoch": 0, "loss": 2.0})
        + "\n"
        + json.dumps({"step": 1, "epoch": 0, "loss": 3.0})
        + "\n"
    )
    assert read_metrics(log) == [{"step": 1, "epoch": 0, "loss": 3.0}]


def test_mixed_precision_training_runs_in_bfloat16(tmp_path: Path) -> None:
    result = fit(train_config("trainer.max_steps=4", "trainer.precision=bf16-mixed"), tmp_path / "bf16")
    losses = [r["loss"] for r in read_metrics(result.metrics) if "loss" in r]
    assert len(losses) == 4 and all(0 < v < 10 for v in losses)
    state = torch.load(result.last, weights_only=True)["state_dict"]
    assert all(v.dtype == torch.float32 for v in state.values() if v.is_floating_point())  # fp32 master weights


def test_multirun_sweep_saves_a_config_snapshot_per_run(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from train_setup import TINY

    args = [
        sys.executable,
        "-m",
        "sciddiff.train.apps.train",
        "-m",
        "optim.lr=1e-3,3e-3",
        "trainer.max_steps=2",
        "trainer.val_check_interval=2",
        f"hydra.sweep.dir={tmp_path}",
        *TINY[:5],
        "trainer.enable_progress_bar=false",
    ]
    done = subprocess.run(args, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    lrs = sorted(yaml_lr(tmp_path / str(i) / "config.yaml") for i in (0, 1))
    assert lrs == [1e-3, 3e-3]
    assert all((tmp_path / str(i) / "checkpoints" / "last.ckpt").exists() for i in (0, 1))


def yaml_lr(path: Path) -> float:
    import yaml

    return float(yaml.safe_load(path.read_text())["optim"]["lr"])
