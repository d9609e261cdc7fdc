"""Dense padded batches of graphs: node features (B, N, ...), symmetric edge types (B, N, N), node mask (B, N).

Built with torch-geometric's ``to_dense_batch`` / ``to_dense_adj``; real nodes come first in each row and
every padded entry (node, or edge touching a padded node) is zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch, Data
from torch_geometric.utils import to_dense_adj, to_dense_batch


@dataclass
class DenseGraphBatch:
    """x: (B, N) node types or (B, N, F) node features; adj: (B, N, N) edge types (0 = none), symmetric with a
    zero diagonal; mask: (B, N) bool, True on real nodes; optional pos (B, N, 3), charge (B, N), y (B, k)."""

    x: Tensor
    adj: Tensor
    mask: Tensor
    pos: Tensor | None = None
    charge: Tensor | None = None
    y: Tensor | None = None

    @property
    def num_nodes(self) -> Tensor:
        return self.mask.sum(1)


def to_dense(graphs: Sequence[Data] | Batch, max_nodes: int | None = None) -> DenseGraphBatch:
    """Pad a list (or ``Batch``) of graphs to N = ``max_nodes`` (default: the largest graph).

    Edge types come from ``edge_attr`` (1 where absent). Raises ``ValueError`` if a graph has more than
    ``max_nodes`` nodes, a self-loop, a repeated edge, an edge of type 0, or an edge without its reverse.
    """
    batch = graphs if isinstance(graphs, Batch) else Batch.from_data_list(list(graphs))
    sizes = torch.bincount(batch.batch, minlength=batch.num_graphs)
    n_max = int(sizes.max()) if max_nodes is None else max_nodes
    if int(sizes.max()) > n_max:
        g = int(sizes.argmax())
        raise ValueError(f"graph {g} has {int(sizes[g])} nodes; max_nodes={n_max} is too small")
    ei = batch.edge_index
    attr = batch.edge_attr.long() if batch.edge_attr is not None else torch.ones(ei.shape[1], dtype=torch.long)
    graph_of_edge = batch.batch[ei[0]]
    problems = {
        "a self-loop": ei[0] == ei[1],
        "an edge of type 0 (no edge)": attr == 0,
    }
    for what, bad in problems.items():
        if bool(bad.any()):
            raise ValueError(f"graph {int(graph_of_edge[bad.nonzero()[0, 0]])} has {what}")
    x, mask = to_dense_batch(batch.x, batch.batch, max_num_nodes=n_max, batch_size=batch.num_graphs)
    adj = to_dense_adj(ei, batch.batch, edge_attr=attr, max_num_nodes=n_max, batch_size=batch.num_graphs)
    per_graph_edges = torch.bincount(graph_of_edge, minlength=batch.num_graphs)
    repeated = (adj != 0).sum((1, 2)) != per_graph_edges
    if bool(repeated.any()):
        raise ValueError(f"graph {int(repeated.nonzero()[0, 0])} lists an edge more than once")
    asym = (adj != adj.transpose(1, 2)).any(2).any(1)
    if bool(asym.any()):
        raise ValueError(f"graph {int(asym.nonzero()[0, 0])} has an edge without its reverse (or of another type)")

    def nodes(key: str) -> Tensor | None:
        v = batch.get(key)
        return (
            None if v is None else to_dense_batch(v, batch.batch, max_num_nodes=n_max, batch_size=batch.num_graphs)[0]
        )

    return DenseGraphBatch(x, adj, mask, pos=nodes("pos"), charge=nodes("charge"), y=batch.get("y"))


def from_dense(batch: DenseGraphBatch) -> list[Data]:
    """The graphs of a dense batch as ``Data`` (both directions of each edge; padding dropped)."""
    if not torch.equal(batch.adj, batch.adj.transpose(1, 2)):
        raise ValueError("adj is not symmetric; symmetrise the edge types before converting")
    out = []
    for b in range(batch.mask.shape[0]):
        idx = batch.mask[b].nonzero().reshape(-1)
        sub = batch.adj[b][idx][:, idx].clone()
        sub.fill_diagonal_(0)
        edge_index = sub.nonzero().T
        data = Data(
            x=batch.x[b, idx], edge_index=edge_index, edge_attr=sub[edge_index[0], edge_index[1]], num_nodes=idx.numel()
        )
        if batch.pos is not None:
            data.pos = batch.pos[b, idx]
        if batch.charge is not None:
            data.charge = batch.charge[b, idx]
        if batch.y is not None:
            data.y = batch.y[b : b + 1]
        out.append(data)
    return out


def one_hot_features(
    batch: DenseGraphBatch, node_classes: int, edge_classes: int, dtype: torch.dtype = torch.float32
) -> tuple[Tensor, Tensor]:
    """One-hot node types (B, N, Kx) and edge types (B, N, N, Ke), all-zero on padding and on the diagonal."""
    if batch.x.is_floating_point():
        raise ValueError("one_hot_features needs integer node types in batch.x")
    m = batch.mask
    x = F.one_hot(batch.x.long(), node_classes).to(dtype) * m[..., None].to(dtype)
    pair = m[:, :, None] & m[:, None, :] & ~torch.eye(m.shape[1], dtype=torch.bool, device=m.device)
    e = F.one_hot(batch.adj.long(), edge_classes).to(dtype) * pair[..., None].to(dtype)
    return x, e
