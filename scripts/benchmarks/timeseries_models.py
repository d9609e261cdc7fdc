"""The models of the time-series benchmark: each one of the ``ts_*`` experiment configs trained through
``sciddiff.train.fit`` into ``outputs/benchmarks/timeseries/<name>``, reused when already finished (a killed run
resumes from its last checkpoint). Train one alone with ``python scripts/benchmarks/timeseries_models.py <name>``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import torch
import yaml
from hydra import compose, initialize_config_module

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sciddiff.train import fit  # noqa: E402
from sciddiff.train.build import plain  # noqa: E402

WORK = ROOT / "outputs" / "benchmarks" / "timeseries"

# The benchmark's optimiser, validation and checkpoint settings (the ts_* experiments leave them to train.yaml).
COMMON = [
    "optim.lr=1e-3",
    "optim.schedule=cosine",
    "optim.warmup_steps=200",
    "validation.n_samples=64",
    "validation.steps=10",
    "checkpoint.every_n_steps=500",
]

# name -> (experiment config, overrides)
MODELS: dict[str, tuple[str, list[str]]] = {
    "l96_conditional": ("ts_forecast", []),
    "l96_prior": ("ts_forecast_prior", []),
    "l63_conditional_every8": ("ts_assimilate", []),
    "l63_conditional_every1": ("ts_assimilate", ["domain.options.masks.every=[1]", "domain.options.context_noise=2.0"]),
    "l63_prior": ("ts_assimilate_prior", []),
    "co2_conditional": ("ts_impute", []),
    "co2_prior": ("ts_impute_prior", []),
    "motions_conditional": ("ts_impute_motions", []),
    "sunspots_conditional": ("ts_sunspots", []),
    "sunspots_prior": ("ts_sunspots_prior", []),
    "ks_conditional": ("ts_rollout", []),
    "ks_prior": ("ts_rollout_prior", []),
}


def load_average() -> float:
    return os.getloadavg()[0]


def train(name: str, *extra: str) -> Path:
    """The last checkpoint of model ``name``, training it first unless a finished run exists."""
    experiment, overrides = MODELS[name]
    run_dir = WORK / name
    marker = run_dir / "run.yaml"
    status = yaml.safe_load(marker.read_text()).get("status") if marker.exists() else None
    if status == "finished":
        return run_dir / "checkpoints" / "last.ckpt"
    resume = (run_dir / "checkpoints" / "last.ckpt").exists()
    if marker.exists() and not resume:  # killed before its first checkpoint: set aside, start again
        run_dir.rename(run_dir.with_name(f"{name}.abandoned-{int(time.time())}"))
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(
            compose(
                "train",
                overrides=[
                    f"experiment={experiment}",
                    *COMMON,
                    *overrides,
                    *extra,
                    "trainer.enable_progress_bar=false",
                    f"resume={str(resume).lower()}",
                ],
            )
        )
    torch.set_num_threads(1)
    start, load = time.perf_counter(), load_average()
    result = fit(cfg, run_dir)
    record = {"seconds": time.perf_counter() - start, "steps": result.steps, "load_start": load}
    record["load_end"] = load_average()
    with (run_dir / "timing.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")
    return result.last


def training_record(name: str) -> dict[str, float]:
    """Total training seconds and steps of a model (over resumes), and the mean load average seen."""
    rows = [json.loads(line) for line in (WORK / name / "timing.jsonl").read_text().splitlines()]
    return {
        "seconds": sum(r["seconds"] for r in rows),
        "steps": rows[-1]["steps"],
        "load": sum(r["load_start"] + r["load_end"] for r in rows) / (2 * len(rows)),
    }


if __name__ == "__main__":
    for model in sys.argv[1:] or list(MODELS):
        print(model, train(model), training_record(model), flush=True)
