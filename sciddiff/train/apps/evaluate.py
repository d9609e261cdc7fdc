"""``sciddiff-evaluate``: domain metrics of samples against held-out data, and NLL in bits/dim through the
probability-flow ODE (Hydra app; ``configs/evaluate.yaml``). Writes ``metrics.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig

from sciddiff.train.apps.common import require_generic_states, resolve_solver, run_app, sample_options
from sciddiff.train.build import plain
from sciddiff.train.checkpoint import TrainedModel, load_trained
from sciddiff.train.likelihood import bits_per_dim


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``, e.g. for an exact oracle)."""
    cfg = plain(cfg)
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg["ema"]))
    require_generic_states(model, "sciddiff-evaluate", "score samples")
    splits = model.adapter.datasets(int(model.record["seed"]))
    if cfg["split"] not in splits:
        raise ValueError(f"split {cfg['split']!r} not in this domain's splits {sorted(splits)}")
    data = splits[cfg["split"]]
    n = min(int(cfg["n_samples"]), len(data))
    ref = torch.stack([data[i]["x"] for i in range(n)])
    solver = resolve_solver(cfg["solver"], model)
    samples = model.sample(n, solver["name"], int(solver["steps"]), seed=int(cfg["seed"]), **sample_options(solver))
    results: dict[str, Any] = {"split": cfg["split"], "n": n, "solver": solver["name"], "steps": solver["steps"]}
    results["metrics"] = model.adapter.metrics(model.adapter.decode(samples), model.adapter.decode(ref))
    k = min(int(cfg["nll"]["n"]), n)
    if k > 0:
        bpd = bits_per_dim(model, ref[:k], seed=int(cfg["seed"]), divergence=cfg["nll"]["divergence"])
        results["bits_per_dim"] = {"mean": float(bpd.mean()), "sem": float(bpd.std() / k**0.5), "n": k}
    path = out_dir / "metrics.json"
    if path.exists():
        raise ValueError(f"{path} already exists; sciddiff never overwrites outputs")
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    return results


@hydra.main(config_path="pkg://sciddiff.configs", config_name="evaluate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    print(json.dumps(run_app("sciddiff-evaluate", run, cfg), indent=2))


if __name__ == "__main__":
    main()
