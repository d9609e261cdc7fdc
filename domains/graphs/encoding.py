"""Graphs (torch-geometric ``Data``, or a :class:`PackedGraphs` dataset) <-> dense padded graph states.

A graph's ``x`` holds node-type indices into the layout's ``node_vocab`` (0 for unattributed graphs), ``edge_index``
both directions of each edge with ``edge_attr`` edge classes (1.. ; 0 is "no edge"), and optionally ``pos``
(Angstrom), ``charge`` (formal charges) or, for 3-D molecules with atomic-number charges, ``atomic_number``.
Coordinates are centred on the mean of the real atoms and divided by ``pos_scale``; decoding multiplies back, so
a round trip returns the centred coordinates (molecules are only defined up to translation).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from sciddiff.domains.graphs.datasets import PackedGraphs, to_dense
from sciddiff.domains.graphs.layout import ATOMIC_NUMBER_SCALE, FORMAL_CHARGES, GraphLayout
from torch import Tensor
from torch_geometric.data import Data

ATOMIC_NUMBERS: dict[str, int] = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9, "S": 16, "Cl": 17, "Br": 35}


def atomic_numbers(layout: GraphLayout) -> Tensor:
    """Z per node class (0 for the absent class), shape (K,)."""
    missing = [a for a in layout.node_vocab if a not in ATOMIC_NUMBERS]
    if missing:
        raise ValueError(f"no atomic number known for {missing}; known: {sorted(ATOMIC_NUMBERS)}")
    return torch.tensor([0] + [ATOMIC_NUMBERS[a] for a in layout.node_vocab])


def _check_types(x: Tensor, layout: GraphLayout, what: str) -> None:
    k = len(layout.node_vocab)
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= k):
        raise ValueError(
            f"{what} has node types in [{int(x.min())}, {int(x.max())}]; the vocabulary {layout.node_vocab} has {k}"
        )


def _check_edges(attr: Tensor, layout: GraphLayout, what: str) -> None:
    k = len(layout.edge_vocab)
    if attr.numel() and (int(attr.min()) < 1 or int(attr.max()) >= k):
        raise ValueError(
            f"{what} has edge classes in [{int(attr.min())}, {int(attr.max())}]; edges need 1..{k - 1} of {layout.edge_vocab}"
        )


def _centred(pos: Tensor, mask: Tensor) -> Tensor:
    m = mask[..., None].to(pos.dtype)
    centre = (pos * m).sum(-2, keepdim=True) / m.sum(-2, keepdim=True).clamp_min(1.0)
    return (pos - centre) * m


def dense_from_packed(packed: PackedGraphs, layout: GraphLayout, pos_scale: float = 1.0) -> dict[str, Tensor]:
    """Compact dense tensors of every graph (vectorised): ``counts`` (G,), ``nodes`` (G, N) uint8, ``edges``
    (G, N, N) uint8, ``pos`` (G, N, 3) float32 (centred, divided by ``pos_scale``), ``charges``."""
    counts, n = packed.num_nodes, layout.max_nodes
    g = len(packed)
    if int(counts.max()) > n:
        big = int(counts.argmax())
        raise ValueError(f"graph {big} has {int(counts[big])} nodes; max_nodes={n} is too small")
    graph_of_node = torch.repeat_interleave(torch.arange(g), counts)
    local = torch.arange(graph_of_node.numel()) - packed.node_ptr[graph_of_node]
    x = packed.node["x"].long()
    _check_types(x, layout, "the data")
    out = {"counts": counts.clone()}
    nodes = torch.zeros(g, n, dtype=torch.uint8)
    nodes[graph_of_node, local] = (x + 1).to(torch.uint8)
    out["nodes"] = nodes
    if layout.has_edges:
        graph_of_edge = torch.repeat_interleave(torch.arange(g), packed.edge_ptr.diff())
        attr = packed.edge["edge_attr"].long() if "edge_attr" in packed.edge else torch.ones_like(graph_of_edge)
        _check_edges(attr, layout, "the data")
        edges = torch.zeros(g, n, n, dtype=torch.uint8)
        ei = packed.edge_index.long()
        edges[graph_of_edge, ei[0], ei[1]] = attr.to(torch.uint8)
        out["edges"] = edges
    mask = torch.arange(n) < counts[:, None]
    if layout.positions:
        pos = torch.zeros(g, n, 3, dtype=torch.float64)
        pos[graph_of_node, local] = packed.node["pos"].double()
        out["pos"] = (_centred(pos, mask) / pos_scale).float()
    if layout.charges == "formal":
        charges = torch.zeros(g, n, dtype=torch.uint8)
        charges[graph_of_node, local] = _charge_classes(packed.node["charge"].long()).to(torch.uint8)
        out["charges"] = charges
    elif layout.charges == "atomic_number":
        z = atomic_numbers(layout)[nodes.long()].float()
        out["charges"] = (z / ATOMIC_NUMBER_SCALE * mask)[..., None]
    return out


def _charge_classes(charge: Tensor) -> Tensor:
    lo, hi = FORMAL_CHARGES[0], FORMAL_CHARGES[-1]
    if charge.numel() and (int(charge.min()) < lo or int(charge.max()) > hi):
        raise ValueError(f"formal charges must lie in {FORMAL_CHARGES}; got [{int(charge.min())}, {int(charge.max())}]")
    return charge - lo


def encode_graphs(
    graphs: Sequence[Data], layout: GraphLayout, pos_scale: float = 1.0
) -> tuple[dict[str, Tensor], Tensor]:
    """(state, node mask (B, N)) of a list of graphs, padded to ``layout.max_nodes``."""
    if not len(graphs):
        raise ValueError("no graphs to encode")
    for i, g in enumerate(graphs):
        if int(g.num_nodes) < 1:
            raise ValueError(f"graph {i} has no nodes")
        _check_types(g.x.long(), layout, f"graph {i}")
        if layout.has_edges and g.edge_attr is not None:
            _check_edges(g.edge_attr.long(), layout, f"graph {i}")
        for key, need in (("pos", layout.positions), ("charge", layout.charges == "formal")):
            if need and getattr(g, key, None) is None:
                raise ValueError(f"graph {i} has no {key!r}, which this layout needs")
    dense = to_dense(list(graphs), layout.max_nodes)
    mask = dense.mask
    state = {"nodes": torch.where(mask, dense.x.long() + 1, 0)}
    if layout.has_edges:
        state["edges"] = dense.adj.long()
    if layout.positions:
        state["pos"] = (_centred(dense.pos.double(), mask) / pos_scale).float()
    if layout.charges == "formal":
        state["charges"] = torch.where(mask, _charge_classes(dense.charge.long()), 0)
    elif layout.charges == "atomic_number":
        z = atomic_numbers(layout)[state["nodes"]].float()
        state["charges"] = (z / ATOMIC_NUMBER_SCALE)[..., None]
    return state, mask


def decode_state(state: dict[str, Tensor], layout: GraphLayout, pos_scale: float = 1.0) -> list[Data]:
    """The graphs of a dense state: real nodes are those whose class is not 0 (absent)."""
    nodes = state["nodes"].long().cpu()
    mask = layout.node_mask(nodes)
    out = []
    for b in range(nodes.shape[0]):
        idx = mask[b].nonzero().reshape(-1)
        data = Data(x=nodes[b, idx] - 1, num_nodes=idx.numel())
        if layout.has_edges:
            sub = state["edges"][b].long().cpu()[idx][:, idx].clone()
            if not torch.equal(sub, sub.T):
                raise ValueError(f"sample {b} has asymmetric edge types")
            sub.fill_diagonal_(0)
            ei = sub.nonzero().T
            data.edge_index, data.edge_attr = ei, sub[ei[0], ei[1]]
        else:
            data.edge_index = torch.zeros(2, 0, dtype=torch.long)
        if layout.positions:
            data.pos = state["pos"][b].detach().cpu().double()[idx] * pos_scale
        if layout.charges == "formal":
            data.charge = state["charges"][b].long().cpu()[idx] + FORMAL_CHARGES[0]
        elif layout.charges == "atomic_number":
            z = state["charges"][b].detach().cpu().double()[idx, 0] * ATOMIC_NUMBER_SCALE
            data.atomic_number = z.round().long()
        out.append(data)
    return out
