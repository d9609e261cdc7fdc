"""The generation tasks of a trained graph model, each returning decoded ``Data`` graphs:

- unconditional: x ~ p(x) with per-sample seeds (node counts from the training split);
- conditional: x ~ p_w(x | c) with classifier-free guidance, p_w ~ p(x)^(1 - w) p(x | c)^w on the categorical
  logits and D_w = D(null) + w (D(c) - D(null)) on coordinates (:class:`sciddiff.guidance.DiscreteCFG`; Ho &
  Salimans, 2022, arXiv:2207.12598); the target c is in physical units (e.g. logP) and standardised with the
  training statistics; w = 1 is the plain conditional model, w = 0 the unconditional one;
- scaffold: completion of a fixed substructure (:mod:`sciddiff.domains.graphs.scaffold`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from sciddiff.domains.graphs.scaffold import Scaffold, scaffold_denoiser
from torch_geometric.data import Data

from sciddiff.guidance.discrete_cfg import DiscreteCFG
from sciddiff.train import TrainedModel
from sciddiff.train.inference import sample_model


def default_solver(model: TrainedModel) -> tuple[str, int]:
    """The solver and step count of the model's training config (its validation sampler)."""
    solver = (model.record.get("config") or {}).get("solver") or {}
    return str(solver.get("name", "ancestral")), int(solver.get("steps", 100))


def _draw(model: TrainedModel, denoiser: Any, n: int, solver: str, steps: int, seed: int, **kw: Any) -> list[Data]:
    at_least = int(kw.pop("at_least", 1))
    state = sample_model(
        denoiser,
        model.process,
        lambda seeds: model.adapter.sample_spec(seeds, at_least),
        n,
        solver,
        steps,
        seed=seed,
        **kw,
    )
    return model.adapter.decode(state)


def unconditional(model: TrainedModel, n: int, solver: str, steps: int, seed: int = 0, **kw: Any) -> list[Data]:
    """n samples of p(x); a model trained with a condition samples with the null condition."""
    return _draw(model, model.denoiser, n, solver, steps, seed, **kw)


def conditional(
    model: TrainedModel,
    target: Sequence[float],
    n: int,
    solver: str,
    steps: int,
    guidance_scale: float = 1.0,
    seed: int = 0,
    **kw: Any,
) -> list[Data]:
    """n samples at the property ``target`` (one value per conditioning property, physical units)."""
    adapter = model.adapter
    names = adapter.options.get("condition")
    if not names:
        raise ValueError("this model was trained without a condition (domain.options.condition); it cannot be guided")
    values = torch.as_tensor(list(target), dtype=torch.float64).reshape(1, -1)
    if values.shape[1] != len(names):
        raise ValueError(f"target {list(target)} has {values.shape[1]} values; the model conditions on {names}")
    vector = adapter.normalise(values).expand(n, -1).contiguous()
    denoiser = DiscreteCFG(model.denoiser, float(guidance_scale), {"vector": None})
    return _draw(model, denoiser, n, solver, steps, seed, cond={"vector": vector}, **kw)


def scaffold_completion(
    model: TrainedModel, scaffold: Scaffold, n: int, solver: str, steps: int, seed: int = 0, **kw: Any
) -> list[Data]:
    """n molecules holding ``scaffold`` as nodes 0..k-1 (each with at least k atoms)."""
    denoiser = scaffold_denoiser(model.denoiser, model.process, scaffold)
    return _draw(model, denoiser, n, solver, steps, seed, at_least=scaffold.size, **kw)
