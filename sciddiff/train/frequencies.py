"""Class frequencies of categorical leaves over a training split, for marginal-prior transitions.

The marginal-prior process (Austin et al., "Structured Denoising Diffusion Models in Discrete State-Spaces", 2021,
arXiv:2107.03006; Vignac et al., DiGress, 2022, arXiv:2209.14734) resamples corrupted tokens from the data's own
class frequencies m_k = #{entries of class k} / #{entries}, counted over real entries only: padding (False in an
item's ``"mask"``) and the fixed diagonal of symmetric pair leaves (edges i-i) are not data. A process record asks
for them with ``marginals: auto``; :func:`resolve_marginals` writes the counted frequencies into the record, so
the checkpoint holds the numbers and loading it needs no data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from sciddiff.state import StateSpec
from sciddiff.state.constraints import SymmetricPairs

AUTO = "auto"


def _auto_leaves(record: Mapping[str, Any], spec: StateSpec) -> dict[str, Any]:
    """{state leaf: its process record} for every marginal-prior process whose marginals are ``auto``."""
    if record.get("name") == "mixed":
        cats = dict((record.get("kwargs") or {}).get("categorical") or {})
        return {k: v for k, v in cats.items() if v.get("name") == "marginal" and _is_auto(v)}
    if record.get("name") == "marginal" and _is_auto(record):
        if len(spec.leaves) != 1:
            raise ValueError(
                f"a single marginal process with marginals: auto needs a one-leaf state; got {sorted(spec.leaves)}"
            )
        return {next(iter(spec.leaves)): record}
    return {}


def _is_auto(record: Mapping[str, Any]) -> bool:
    return (record.get("kwargs") or {}).get("marginals") == AUTO


def _real(leaf: str, x: Tensor, masks: Any, spec: StateSpec) -> Tensor:
    """Boolean (B, *event): the real entries of leaf x (its mask; off the diagonal of zero-diagonal pairs)."""
    m = masks.get(leaf) if isinstance(masks, Mapping) else masks
    real = torch.ones_like(x, dtype=torch.bool) if m is None else torch.broadcast_to(m.bool(), x.shape)
    for c in spec.leaves[leaf].constraints:
        if isinstance(c, SymmetricPairs) and c.zero_diagonal:
            a, b = c.axes[0] + 1, c.axes[1] + 1
            shape = [1] * x.dim()
            shape[a], shape[b] = x.shape[a], x.shape[b]
            real = real & ~torch.eye(x.shape[a], dtype=torch.bool).reshape(shape)
    return real


def class_frequencies(
    dataset: Dataset, spec: StateSpec, leaves: list[str], batch_size: int = 1024
) -> dict[str, list[float]]:
    """m_k per leaf over the real entries of every item of ``dataset``, as plain lists (float64 sums)."""
    counts = {k: torch.zeros(spec.leaves[k].num_classes, dtype=torch.float64) for k in leaves}
    for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        x = batch["x"]
        for k in leaves:
            v = x if isinstance(x, Tensor) else x[k]
            values = v[_real(k, v, batch.get("mask"), spec)].long()
            n = counts[k].shape[0]
            if values.numel() and (values.min() < 0 or values.max() >= n):
                raise ValueError(f"leaf {k!r} holds class {int(values.max())}, outside its {n} classes")
            counts[k] += torch.bincount(values, minlength=n).double()
    out = {}
    for k, c in counts.items():
        if c.sum() == 0:
            raise ValueError(f"leaf {k!r} has no real entries in the training split to count class frequencies from")
        missing = [i for i, v in enumerate(c.tolist()) if v == 0]
        if missing:
            raise ValueError(
                f"classes {missing} of leaf {k!r} never occur in the training split; marginal-prior transitions need "
                f"every class frequency > 0 (counts {c.long().tolist()}): use a uniform or masked process, or give "
                "the marginals as numbers"
            )
        out[k] = (c / c.sum()).tolist()
    return out


def resolve_marginals(record: Mapping[str, Any], spec: StateSpec, train: Dataset) -> dict[str, Any]:
    """A copy of the process ``record`` with every ``marginals: auto`` replaced by the training split's class
    frequencies (the record itself when none asks for them)."""
    auto = _auto_leaves(record, spec)
    if not auto:
        return dict(record)
    unknown = sorted(set(auto) - set(spec.leaves))
    if unknown:
        raise ValueError(f"marginals: auto for leaves {unknown} that the state does not have ({sorted(spec.leaves)})")
    freqs = class_frequencies(train, spec, sorted(auto))
    rec = {**record, "kwargs": dict(record.get("kwargs") or {})}
    if rec["name"] == "mixed":
        cats = dict(rec["kwargs"]["categorical"])
        for k in auto:
            cats[k] = {**cats[k], "kwargs": {**cats[k]["kwargs"], "marginals": freqs[k]}}
        rec["kwargs"]["categorical"] = cats
    else:
        rec["kwargs"]["marginals"] = freqs[next(iter(auto))]
    return rec
