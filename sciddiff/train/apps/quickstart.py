"""``sciddiff-quickstart``: the main job end to end on built-in data, in a few minutes on a laptop CPU.

1. trains a small model on samples of a built-in Gaussian mixture (the tabular adapter's ``builtin`` data);
2. samples it with two solvers and scores the samples against exact mixture samples (sliced W2 over the
   two-sample floor);
3. solves an inverse problem (observe the first coordinate with noise) with the trained prior, and scores the
   posterior against the closed-form posterior of the true mixture;
4. writes netCDF outputs and figures into the run directory, and says where they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from sciddiff.analytic import random_mixture, ring_mixture
from sciddiff.calibration import sliced_wasserstein
from sciddiff.train.apps import sample, solve
from sciddiff.train.apps.common import run_app
from sciddiff.train.build import plain
from sciddiff.train.checkpoint import load_trained
from sciddiff.train.fit import fit

MIXTURES = {"ring": ring_mixture, "anisotropic": random_mixture}
F64 = torch.float64


def compose_app(name: str, overrides: list[str]) -> dict[str, Any]:
    """Another packaged app config with overrides, as plain data."""
    if GlobalHydra.instance().is_initialized():
        return plain(compose(name, overrides=overrides))
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose(name, overrides=overrides))


def run(cfg: Any, out_dir: Path) -> dict[str, Any]:
    cfg = plain(cfg)
    train_cfg = compose_app("train", list(cfg["train"]))
    mixture = MIXTURES[train_cfg["domain"]["options"]["builtin"]]()
    result = fit(train_cfg, out_dir / "train")
    model = load_trained(result.last)
    n = int(cfg["n_samples"])
    exact = mixture.sample(n, generator=10_000, dtype=F64)
    floor = sliced_wasserstein(exact, mixture.sample(n, generator=20_000, dtype=F64))
    report: dict[str, Any] = {"train_steps": result.steps, "checkpoint": str(result.last), "samples": {}}
    for solver in cfg["solvers"]:
        scfg = compose_app(
            "sample",
            [f"checkpoint={result.last}", f"n_samples={n}", f"solver={solver}", f"solver.steps={cfg['steps']}"],
        )
        drawn = sample.run(scfg, out_dir / f"samples-{solver}", model=model)["samples"]
        report["samples"][solver] = {"sliced_w2_over_floor": sliced_wasserstein(drawn.double(), exact) / floor}
    solve_cfg = compose_app("solve", [f"checkpoint={result.last}", *cfg["solve"]])
    post = solve.run(solve_cfg, out_dir / "posterior", model=model)
    sw = []
    for samples, truth_y in zip(post["samples"], post["observations"], strict=True):
        a = torch.zeros(1, mixture.dim, dtype=F64)
        a[0, 0] = 1.0
        exact_post = mixture.posterior(a, truth_y.reshape(1), float(solve_cfg["noise_std"]) ** 2)
        m = samples.shape[0]
        ref = exact_post.sample(m, generator=30_000, dtype=F64)
        sw.append(
            sliced_wasserstein(samples.double(), ref)
            / sliced_wasserstein(ref, exact_post.sample(m, generator=40_000, dtype=F64))
        )
    report["posterior"] = {**post["summary"], "sliced_w2_over_floor_vs_exact": sum(sw) / len(sw)}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    return report


@hydra.main(config_path="pkg://sciddiff.configs", config_name="quickstart", version_base="1.3")
def main(cfg: DictConfig) -> None:
    report = run_app("sciddiff-quickstart", run, cfg)
    print(json.dumps(report, indent=2))
    out_dir = Path(report["checkpoint"]).parents[2]
    print(f"outputs in {out_dir}: train/ (checkpoints, metrics.jsonl, figures/), samples-*/ (samples.nc, samples.png),")
    print("posterior/ (posterior.nc with samples, mean, std, quantiles; posterior-*.png), report.json")


if __name__ == "__main__":
    main()
