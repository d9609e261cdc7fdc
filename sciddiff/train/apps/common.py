"""Shared pieces of the Hydra apps: provenance attributes and condition tensors from configs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from sciddiff import __version__
from sciddiff.train.checkpoint import TrainedModel


def provenance(model: TrainedModel, **extra: Any) -> dict[str, Any]:
    """Attributes recording where samples came from: checkpoint, plug-in, process and the run's settings."""
    rec = model.record
    return {
        "checkpoint": str(model.path),
        "plugin": f"{rec['plugin']['name']} {rec['plugin']['version']}",
        "process": rec["process"]["name"],
        "weights": "ema" if model.ema else "raw",
        "sciddiff_version": __version__,
        **extra,
    }


def resolve_solver(solver: Mapping[str, Any], model: TrainedModel) -> dict[str, Any]:
    """The app's solver settings: ``name: checkpoint`` takes the solver, steps and grid the model was validated
    with in training (explicit ``steps``/``grid`` still win); a ``grid`` of None is the process' default."""
    out = {"options": {}, **dict(solver)}
    if out["name"] == "checkpoint":
        v = model.record.get("validation") or {}
        out["name"] = v.get("solver", "dpmpp_2m")
        out["steps"] = out.get("steps") if out.get("steps") is not None else v.get("steps", 20)
        out["grid"] = out.get("grid") if out.get("grid") is not None else v.get("grid")
    if out.get("steps") is None:
        raise ValueError(f"solver {out['name']!r} needs steps (set solver.steps)")
    return out


def sample_options(solver: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword options of ``sciddiff.sample`` from resolved solver settings (the grid only when one is set)."""
    grid = {"grid": solver["grid"]} if solver.get("grid") is not None else {}
    return {**grid, **dict(solver.get("options") or {})}


def condition_tensors(cond: Mapping[str, Any], n: int) -> dict[str, Tensor]:
    """Config conditions as batch tensors: a scalar is repeated n times, a list is one value per sample."""
    out = {}
    for k, v in cond.items():
        t = torch.as_tensor(v)
        out[k] = t.expand(n).clone() if t.dim() == 0 else t
    return out


def require_generic_states(model: TrainedModel, app: str, task: str) -> None:
    """Refuse ``task`` in the generic ``app`` for adapters whose states need their own app (``domain_app``)."""
    module = type(model.adapter).domain_app
    if module is not None:
        raise ValueError(
            f"{app} cannot {task} for {model.adapter.name!r} models, whose samples are not fixed-shape tensors; "
            f"use python -m {module} checkpoint=..."
        )


def run_app(name: str, run: Callable[[Any, Path], Any], cfg: Any) -> Any:
    """Run an app's work in Hydra's output directory; bad input ends the process with its message and exit code 1
    (no traceback), as every sciddiff console app does."""
    from hydra.core.hydra_config import HydraConfig

    from sciddiff.train.module import TrainingDiverged

    try:
        return run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (ValueError, FileNotFoundError, TrainingDiverged) as err:
        print(f"{name}: {err}", file=sys.stderr)
        sys.exit(1)
