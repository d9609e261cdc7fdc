"""Training the models of the graphs benchmark through the packaged configs (``configs/experiment/graphs_*.yaml``),
each capped in wall-clock time (Lightning's ``max_time``) and resumable: an interrupted run continues from its
``last.ckpt``, and a finished run (``benchmark_train.json`` beside it) is reused, not retrained."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module

from sciddiff.train import TrainedModel, fit, load_trained
from sciddiff.train.build import plain
from scripts.benchmarks.time_cap import max_time

TASKS: dict[str, list[str]] = {
    "qm9_2d": ["experiment=graphs_qm9_2d"],
    "qm9_3d": ["experiment=graphs_qm9_3d"],
    "qm9_2d_logp": ["experiment=graphs_qm9_2d_logp"],
    "sbm": ["experiment=graphs_sbm"],
    "planar": ["experiment=graphs_planar"],
}
COMMON = [
    "optim.schedule=constant",
    "trainer.enable_progress_bar=false",
    "validation.n_samples=8",
    "validation.steps=10",
]


def train_task(
    task: str, runs: Path, minutes: float, steps: int | None = None, extra: list[str] | None = None
) -> tuple[TrainedModel, dict[str, Any]]:
    """The model of ``task`` trained for at most ``minutes`` (and ``steps``, if given) in ``runs/<task>``."""
    if task not in TASKS:
        raise ValueError(f"unknown graphs benchmark task {task!r}; choose one of {sorted(TASKS)}")
    run_dir = Path(runs) / task
    info_path = run_dir / "benchmark_train.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        return load_trained(info["checkpoint"]), info
    resume = (run_dir / "checkpoints" / "last.ckpt").exists()
    sized = []
    if steps is not None:
        every = max(1, min(steps, 1000))
        sized = [
            f"trainer.max_steps={steps}",
            f"trainer.val_check_interval={every}",
            f"checkpoint.every_n_steps={max(1, min(steps, 200))}",
            "trainer.limit_val_batches=1",
            f"optim.warmup_steps={min(200, steps // 4)}",
        ]
    else:
        sized = ["trainer.max_steps=1000000", "checkpoint.every_n_steps=200"]
    overrides = [*TASKS[task], *COMMON, *sized, f"+trainer.max_time={max_time(minutes)}", *(extra or [])]
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(compose("train", overrides=[*overrides, f"resume={str(resume).lower()}"]))
    start = time.perf_counter()
    result = fit(cfg, run_dir)
    info = {
        "checkpoint": str(result.last),
        "steps": result.steps,
        "seconds_last_session": time.perf_counter() - start,
        "minutes_cap": minutes,
        "resumed": resume,
        "overrides": overrides,
    }
    info_path.write_text(json.dumps(info, indent=2))
    return load_trained(result.last), info
