"""The training items of graph states, and the node-count distribution new samples draw their size from."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from sciddiff.domains.graphs.layout import GraphLayout, node_mask_of_counts
from torch import Tensor
from torch.utils.data import Dataset

from sciddiff.state import derive_seed


class GraphItems(Dataset):
    """Items ``{"x": state, "mask": per-leaf masks, "cond": {"vector": v}}`` from compact dense tensors (uint8
    classes, as from :func:`~sciddiff.domains.graphs.encoding.dense_from_packed`); classes come out as long."""

    def __init__(self, layout: GraphLayout, dense: dict[str, Tensor], vector: Tensor | None = None) -> None:
        self.layout, self.counts = layout, dense["counts"]
        self.leaves = {k: v for k, v in dense.items() if k != "counts"}
        self.vector = None if vector is None else vector.float()
        if self.vector is not None and len(self.vector) != len(self.counts):
            raise ValueError(f"{len(self.vector)} condition vectors for {len(self.counts)} graphs")

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def sizes(self) -> Tensor:
        """The node count of each graph, for size-grouped batches."""
        return self.counts

    def __getitem__(self, i: int) -> dict:
        x = {k: v[i] if v.is_floating_point() else v[i].long() for k, v in self.leaves.items()}
        mask = node_mask_of_counts(self.counts[i : i + 1], self.layout.max_nodes)[0]
        item = {"x": x, "mask": self.layout.masks(mask)}
        if self.vector is not None:
            item["cond"] = {"vector": self.vector[i]}
        return item


class NodeCounts:
    """The empirical distribution of node counts, p(n) = #graphs with n nodes / #graphs."""

    def __init__(self, probs: Tensor) -> None:
        p = torch.as_tensor(probs, dtype=torch.float64)
        if p.dim() != 1 or not (p >= 0).all() or float(p.sum()) <= 0 or float(p[0]) > 0:
            raise ValueError(
                f"node-count probabilities must be >= 0 over n = 0, 1, ..., with p(0) = 0; got {p.tolist()}"
            )
        self.probs = p / p.sum()

    @classmethod
    def of(cls, counts: Tensor, max_nodes: int) -> NodeCounts:
        return cls(torch.bincount(counts.long(), minlength=max_nodes + 1).double())

    def draw(self, seeds: Sequence[int], at_least: int = 1) -> Tensor:
        """One count per seed, each from its own generator (seeded with ``derive_seed(seed, 1)``), so sample i
        does not depend on the others; ``at_least`` restricts the law to n >= at_least."""
        p = self.probs.clone()
        p[:at_least] = 0.0
        if float(p.sum()) <= 0:
            raise ValueError(
                f"no training graph has at least {at_least} nodes (largest: {int(self.probs.nonzero().max())})"
            )
        out = [
            int(torch.multinomial(p, 1, generator=torch.Generator().manual_seed(derive_seed(int(s), 1)))) for s in seeds
        ]
        return torch.tensor(out, dtype=torch.long)
