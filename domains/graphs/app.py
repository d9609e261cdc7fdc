"""The graphs task app: unconditional, property-conditional (classifier-free guidance) and scaffold-completing
generation with a trained checkpoint, in one Hydra command.

``python -m sciddiff.domains.graphs.app checkpoint=<ckpt> task=unconditional n_samples=1000``
``python -m sciddiff.domains.graphs.app checkpoint=<ckpt> task=conditional condition.target=[1.5]``
``python -m sciddiff.domains.graphs.app checkpoint=<ckpt> task=scaffold scaffold.smiles=c1ccncc1``

Writes, into the run directory (existing files are never overwritten: the app refuses before sampling),
``graphs.pt`` (the samples as plain tensors, one dict per graph; :func:`~sciddiff.domains.graphs.outputs.
graphs_from_plain` rebuilds the ``Data``), for molecules ``samples.smi`` and ``samples.sdf`` (3-D coordinates for
3-D models), ``samples.png`` (a grid of drawings) and ``metrics.json`` (the metrics of
:mod:`sciddiff.domains.graphs.evaluation`, with sample and training-set sizes, plus the task's own scores).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from sciddiff.domains.graphs.evaluation import sample_properties
from sciddiff.domains.graphs.scaffold import make_scaffold, scaffold_report
from sciddiff.domains.graphs.tasks import conditional, default_solver, scaffold_completion, unconditional
from torch_geometric.data import Data

from sciddiff.train import TrainedModel, load_trained
from sciddiff.train.apps.common import provenance
from sciddiff.train.build import plain

TASKS = ("unconditional", "conditional", "scaffold")
OUTPUTS = ("graphs.pt", "samples.smi", "samples.sdf", "samples.png", "metrics.json")

CONFIG: dict[str, Any] = {
    "checkpoint": "???",
    "ema": True,
    "task": "unconditional",  # unconditional | conditional | scaffold
    "n_samples": 64,
    "seed": 0,
    "solver": None,  # default: the training config's solver
    "steps": None,  # default: the training config's steps
    "chunk_size": None,  # samples per batch (default: all at once)
    "metrics": True,  # score the samples (molecules: validity/uniqueness/novelty, 3-D stability; graphs: MMDs)
    "reference_split": "test",  # reference graphs of the generic-graph MMDs
    "figure_items": 24,  # drawings in samples.png
    "condition": {
        "target": None,  # one value per conditioning property, physical units (e.g. [1.5] for logP)
        "guidance_scale": 2.0,  # w: 0 unconditional, 1 conditional, > 1 guided
        "compare_unconditional": True,  # also draw n_samples unconditional ones and report their property MAE
    },
    "scaffold": {"smiles": None, "file": None, "hydrogens": False, "seed": 0},
    "hydra": {
        "run": {"dir": "outputs/graphs/${task}/${now:%Y-%m-%d_%H-%M-%S}"},
        "output_subdir": None,
        "job": {"chdir": False},
    },
}
ConfigStore.instance().store(name="graphs_task", node=CONFIG)


def refuse_existing(out_dir: Path) -> None:
    """Raise before any work when the run directory already holds an output of this app."""
    taken = [name for name in OUTPUTS if (Path(out_dir) / name).exists()]
    if taken:
        raise ValueError(
            f"{out_dir} already holds {taken}; sciddiff never overwrites outputs (choose another directory)"
        )


def fitted_splits(model: TrainedModel) -> dict[str, Any]:
    """The model's data splits (rebuilt from its adapter options), with the checkpoint's fitted state kept."""
    state = model.adapter.state_dict()
    splits = model.adapter.datasets(int(model.record.get("seed", 0)))
    model.adapter.load_state_dict(state)
    return splits


def score(model: TrainedModel, graphs: list[Data], split: str) -> dict[str, Any]:
    """The adapter's metrics: against the training set (novelty) for molecules, the reference split for graphs."""
    adapter = model.adapter
    splits = fitted_splits(model)
    out: dict[str, Any] = {"n_samples": len(graphs), "n_train": len(splits["train"])}
    reference: list[Data] = []
    if not adapter.layout.molecule:
        if split not in splits:
            raise ValueError(f"reference split {split!r} is not one of {sorted(splits)}")
        items = splits[split]
        state = {k: torch.stack([items[i]["x"][k] for i in range(len(items))]) for k in items[0]["x"]}
        reference = adapter.decode(state)
        out["n_reference"] = len(reference)
    out.update(adapter.metrics(graphs, reference))
    return out


def property_scores(model: TrainedModel, graphs: list[Data], target: list[float]) -> dict[str, Any]:
    """Mean absolute error of the RDKit properties of the valid samples to the target (per property)."""
    names = list(model.adapter.options["condition"])
    try:
        values = sample_properties(graphs, model.adapter.layout, names)
    except ValueError as err:
        return {"property_mae": None, "note": str(err)}
    ok = torch.isfinite(values).all(1)
    err = (values[ok] - torch.tensor(target, dtype=torch.float64)).abs()
    return {
        "property_mae": {n: float(err[:, j].mean()) if len(err) else None for j, n in enumerate(names)},
        "property_mean": {n: float(values[ok, j].mean()) if len(err) else None for j, n in enumerate(names)},
        "n_valid": int(ok.sum()),
    }


def generate(model: TrainedModel, cfg: Mapping[str, Any]) -> tuple[list[Data], dict[str, Any]]:
    """The task's samples and its own scores."""
    task, n, seed = cfg["task"], int(cfg["n_samples"]), int(cfg["seed"])
    name, steps = default_solver(model)
    solver, steps = cfg["solver"] or name, int(cfg["steps"] or steps)
    kw = {"chunk_size": cfg["chunk_size"]}
    if task == "unconditional":
        return unconditional(model, n, solver, steps, seed, **kw), {}
    if task == "conditional":
        c = cfg["condition"]
        if c["target"] is None:
            raise ValueError("task=conditional needs condition.target (one value per conditioning property)")
        target = [float(v) for v in (c["target"] if isinstance(c["target"], list | tuple) else [c["target"]])]
        w = float(c["guidance_scale"])
        graphs = conditional(model, target, n, solver, steps, w, seed, **kw)
        extra: dict[str, Any] = {"target": target, "guidance_scale": w, **property_scores(model, graphs, target)}
        if c["compare_unconditional"]:
            base = conditional(model, target, n, solver, steps, 0.0, seed, **kw)
            extra["unconditional"] = property_scores(model, base, target)
        return graphs, extra
    if task == "scaffold":
        s = cfg["scaffold"]
        layout, scale = model.adapter.layout, model.adapter.pos_scale
        scaffold = make_scaffold(layout, scale, s["smiles"], s["file"], bool(s["hydrogens"]), int(s["seed"]))
        graphs = scaffold_completion(model, scaffold, n, solver, steps, seed, **kw)
        return graphs, {"scaffold": s["smiles"] or s["file"], **scaffold_report(graphs, scaffold, layout, scale)}
    raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``)."""
    cfg = plain(cfg)
    if cfg["task"] not in TASKS:
        raise ValueError(f"unknown task {cfg['task']!r}; choose one of {TASKS}")
    out_dir = Path(out_dir)
    refuse_existing(out_dir)
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg["ema"]))
    graphs, extra = generate(model, cfg)
    attrs = provenance(model, task=cfg["task"], n_samples=len(graphs), seed=int(cfg["seed"]))
    files = model.adapter.write(graphs, out_dir, attrs)
    files.append(model.adapter.plot(graphs[: int(cfg["figure_items"])], out_dir / "samples.png"))
    summary = {"task": cfg["task"], **attrs, **extra}
    if cfg["metrics"]:
        summary["metrics"] = score(model, graphs, cfg["reference_split"])
    with (out_dir / "metrics.json").open("x") as f:
        json.dump(summary, f, indent=2)
    return {"summary": summary, "graphs": graphs, "files": [*files, out_dir / "metrics.json"]}


@hydra.main(config_path=None, config_name="graphs_task", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        out = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (ValueError, FileNotFoundError) as err:
        print(f"sciddiff-graphs: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out["summary"], indent=2, default=str))
    print("wrote " + ", ".join(str(f) for f in out["files"]))


if __name__ == "__main__":
    main()
