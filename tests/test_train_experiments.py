"""Experiment configs compose over train.yaml: their values win over its defaults, the command line over both."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from train_setup import app_config

EXPERIMENT_DIR = Path(__file__).parents[1] / "configs" / "experiment"
EXPERIMENTS = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_values_override_train_defaults(name: str) -> None:
    """Every top-level key an experiment sets under optim / ema / validation / checkpoint / data reaches the config."""
    raw = yaml.safe_load((EXPERIMENT_DIR / f"{name}.yaml").read_text())
    cfg = app_config("train", f"experiment={name}")
    for group in ("optim", "ema", "validation", "checkpoint", "data"):
        for key, value in (raw.get(group) or {}).items():
            assert cfg[group][key] == value, (name, group, key, cfg[group][key], value)


def test_command_line_overrides_the_experiment() -> None:
    cfg = app_config("train", "experiment=graphs_qm9_2d", "optim.lr=1e-3")
    assert cfg["optim"]["lr"] == 1e-3
    assert app_config("train", "experiment=graphs_qm9_2d")["optim"]["lr"] == 5e-4
