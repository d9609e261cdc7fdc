"""Training the audio benchmark's prior through the packaged configs (``configs/experiment/audio_generation.yaml``)
with a wall-clock cap; a finished run in the same directory is reused, not retrained."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module

from sciddiff.train import TrainedModel, fit, load_trained
from sciddiff.train.build import plain
from scripts.benchmarks.time_cap import max_time

ROOT = Path(__file__).resolve().parents[2]
RUNS = Path(os.environ.get("SCIDDIFF_AUDIO_RUNS", ROOT / "outputs" / "benchmarks" / "audio"))

OVERRIDES = [
    "experiment=audio_generation",
    "trainer.max_steps=100000",
    "optim.lr=1e-3",
    "optim.schedule=constant",
    "optim.warmup_steps=100",
    "ema.decay=0.995",
    "trainer.val_check_interval=100000",
    "checkpoint.every_n_steps=100",
    "validation.n_samples=8",
    "validation.steps=10",
    "trainer.enable_progress_bar=false",
]


def train_prior(minutes: float, name: str = "prior", extra: list[str] | None = None) -> tuple[TrainedModel, dict]:
    """The shared prior trained for at most ``minutes`` (Lightning's ``max_time``), or the finished run's."""
    run_dir = RUNS / name
    info_path = run_dir / "benchmark_train.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        return load_trained(info["checkpoint"]), info
    overrides = [*OVERRIDES, f"+trainer.max_time={max_time(minutes)}", *(extra or [])]
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(compose("train", overrides=overrides))
    start = time.perf_counter()
    result = fit(cfg, run_dir)
    info: dict[str, Any] = {
        "checkpoint": str(result.last),
        "steps": result.steps,
        "seconds": time.perf_counter() - start,
        "overrides": overrides,
        "backbone": cfg["model"]["kwargs"],
        "batch_size": cfg["data"]["batch_size"],
    }
    info_path.write_text(json.dumps(info, indent=2))
    return load_trained(result.last), info
