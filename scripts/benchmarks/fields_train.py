"""Training the priors of the fields benchmark through the packaged configs (``configs/experiment/fields_*.yaml``),
with a wall-clock cap per task; a finished run in the same directory is reused, not retrained."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_module

from sciddiff.train import TrainedModel, fit, load_trained
from sciddiff.train.build import plain
from scripts.benchmarks.time_cap import max_time

ROOT = Path(__file__).resolve().parents[2]
RUNS = Path(os.environ.get("SCIDDIFF_FIELDS_RUNS", ROOT / "outputs" / "benchmarks" / "fields"))

TASKS: dict[str, list[str]] = {
    "ct": ["experiment=fields_ct", "data.batch_size=24", "optim.lr=1e-3"],
    "darcy": ["experiment=fields_darcy", "data.batch_size=32", "optim.lr=1e-3"],
    "digits": ["experiment=fields_digits", "data.batch_size=128"],
    "patches": ["experiment=fields_patches", "data.batch_size=64", "optim.lr=1e-3"],
    "navier_stokes": ["experiment=fields_navier_stokes", "data.batch_size=32", "optim.lr=1e-3"],
}
COMMON = [
    "trainer.max_steps=100000",
    "optim.schedule=constant",
    "trainer.val_check_interval=1000",
    "checkpoint.every_n_steps=100",
    "validation.n_samples=8",
    "validation.steps=10",
    "trainer.enable_progress_bar=false",
]


def train_task(task: str, minutes: float, extra: list[str] | None = None) -> tuple[TrainedModel, dict[str, Any]]:
    """The prior of ``task`` trained for at most ``minutes`` (Lightning's ``max_time``), or the finished run."""
    run_dir = RUNS / task
    info_path = run_dir / "benchmark_train.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        return load_trained(info["checkpoint"]), info
    overrides = [*TASKS[task], *COMMON, f"+trainer.max_time={max_time(minutes)}", *(extra or [])]
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(compose("train", overrides=overrides))
    start = time.perf_counter()
    result = fit(cfg, run_dir)
    info = {
        "checkpoint": str(result.last),
        "steps": result.steps,
        "seconds": time.perf_counter() - start,
        "overrides": overrides,
        "backbone": yaml.safe_dump(cfg["model"]).strip(),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return load_trained(result.last), info


if __name__ == "__main__":
    import argparse

    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", default="ct,darcy,digits")
    parser.add_argument("--minutes", default="20,15,6", help="training cap per task, in minutes")
    args = parser.parse_args()
    for task, minutes in zip(args.tasks.split(","), args.minutes.split(","), strict=True):
        _, info = train_task(task, float(minutes))
        print(task, json.dumps({k: v for k, v in info.items() if k != "backbone"}))
