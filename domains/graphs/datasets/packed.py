"""A dataset of many graphs packed into a few concatenated tensors (fast to cache, cheap to index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from sciddiff.domains.graphs.datasets.report import SkipReport
from torch import Tensor
from torch.utils.data import Dataset
from torch_geometric.data import Data


def _ptr(counts: Sequence[int] | Tensor) -> Tensor:
    counts = torch.as_tensor(counts, dtype=torch.long)
    return torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])


def _ranges(ptr: Tensor, idx: Tensor) -> Tensor:
    """Concatenation of ``arange(ptr[i], ptr[i+1])`` over i in ``idx``, without a Python loop."""
    starts, counts = ptr[idx], ptr[idx + 1] - ptr[idx]
    offsets = _ptr(counts)[:-1]
    total = int(counts.sum())
    return torch.arange(total) - offsets.repeat_interleave(counts) + starts.repeat_interleave(counts)


def _graph_value(value: Any) -> Tensor:
    """A per-graph value as a leading axis of size 1: 0-d -> (1,), (1, ...) kept."""
    t = torch.as_tensor(value)
    if t.dim() and t.shape[0] != 1:
        raise ValueError(f"a per-graph value needs shape () or (1, ...); got {tuple(t.shape)}")
    return t.reshape(1, *t.shape[1:]) if t.dim() else t.reshape(1)


@dataclass(eq=False)
class PackedGraphs(Dataset):
    """Graphs stored as concatenated node tensors, edge tensors and per-graph tensors/strings.

    Graph i has nodes ``node_ptr[i]:node_ptr[i+1]`` and edges ``edge_ptr[i]:edge_ptr[i+1]``; ``edge_index`` is
    local to its graph. Indexing returns a ``Data`` whose integer tensors are ``long`` and whose per-graph
    tensors keep a leading axis of size 1 (so a torch-geometric ``Batch`` stacks them to (B, ...)).
    """

    node: dict[str, Tensor]
    node_ptr: Tensor
    edge_index: Tensor
    edge: dict[str, Tensor]
    edge_ptr: Tensor
    graph: dict[str, Tensor] = field(default_factory=dict)
    strings: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data_list(
        cls,
        graphs: Sequence[Data],
        node_keys: Sequence[str] = ("x",),
        edge_keys: Sequence[str] = ("edge_attr",),
        graph_keys: Sequence[str] = (),
        string_keys: Sequence[str] = (),
        meta: dict[str, Any] | None = None,
    ) -> PackedGraphs:
        """Pack ``Data`` objects; a per-graph value of shape () or (1, ...) is stacked to (G,) or (G, ...)."""
        if not graphs:
            raise ValueError("cannot pack an empty list of graphs")
        return cls(
            node={k: torch.cat([g[k] for g in graphs]) for k in node_keys},
            node_ptr=_ptr([int(g.num_nodes) for g in graphs]),
            edge_index=torch.cat([g.edge_index for g in graphs], 1),
            edge={k: torch.cat([g[k] for g in graphs]) for k in edge_keys},
            edge_ptr=_ptr([int(g.edge_index.shape[1]) for g in graphs]),
            graph={k: torch.cat([_graph_value(g[k]) for g in graphs]) for k in graph_keys},
            strings={k: [str(g[k]) for g in graphs] for k in string_keys},
            meta=dict(meta or {}),
        )

    def __len__(self) -> int:
        return self.node_ptr.numel() - 1

    @property
    def report(self) -> SkipReport | None:
        """What was skipped while building the dataset (None if it was not built from records)."""
        return SkipReport.from_dict(self.meta["report"]) if "report" in self.meta else None

    @property
    def num_nodes(self) -> Tensor:
        """Nodes per graph, shape (G,)."""
        return self.node_ptr.diff()

    def __getitem__(self, i: int) -> Data:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"graph index {i} out of range for {n} graphs")
        i %= n
        a, b = int(self.node_ptr[i]), int(self.node_ptr[i + 1])
        c, d = int(self.edge_ptr[i]), int(self.edge_ptr[i + 1])

        def fix(t: Tensor) -> Tensor:
            return t if t.is_floating_point() or t.dtype == torch.bool else t.long()

        data = Data(edge_index=self.edge_index[:, c:d].long(), num_nodes=b - a)
        for k, v in self.node.items():
            data[k] = fix(v[a:b])
        for k, v in self.edge.items():
            data[k] = fix(v[c:d])
        for k, v in self.graph.items():
            data[k] = fix(v[i : i + 1])
        for k, v in self.strings.items():
            data[k] = v[i]
        return data

    def subset(self, indices: Tensor | Sequence[int]) -> PackedGraphs:
        """The graphs at ``indices`` (in that order), packed anew."""
        idx = torch.as_tensor(indices, dtype=torch.long).reshape(-1)
        if idx.numel() and not (int(idx.min()) >= 0 and int(idx.max()) < len(self)):
            raise IndexError(f"subset indices must lie in [0, {len(self)}); got {int(idx.min())}..{int(idx.max())}")
        nodes, edges = _ranges(self.node_ptr, idx), _ranges(self.edge_ptr, idx)
        return PackedGraphs(
            node={k: v[nodes] for k, v in self.node.items()},
            node_ptr=_ptr(self.num_nodes[idx]),
            edge_index=self.edge_index[:, edges],
            edge={k: v[edges] for k, v in self.edge.items()},
            edge_ptr=_ptr(self.edge_ptr.diff()[idx]),
            graph={k: v[idx] for k, v in self.graph.items()},
            strings={k: [v[i] for i in idx.tolist()] for k, v in self.strings.items()},
            meta=dict(self.meta),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain tensors, strings and numbers only: loadable with ``torch.load(weights_only=True)``."""
        return {
            "node": self.node,
            "node_ptr": self.node_ptr,
            "edge_index": self.edge_index,
            "edge": self.edge,
            "edge_ptr": self.edge_ptr,
            "graph": self.graph,
            "strings": self.strings,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PackedGraphs:
        return cls(**d)
