"""Synthetic graph generators (exact structural counts) and Data <-> dense padded batches."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from sciddiff.domains.graphs.datasets import (
    QM9_HEAVY,
    data_to_graph,
    from_dense,
    graph_to_data,
    grid_graphs,
    one_hot_features,
    planar_graphs,
    sbm_graphs,
    smiles_to_graphs,
    to_dense,
)
from scipy.spatial import ConvexHull
from torch_geometric.data import Data


def test_sbm_graphs_follow_the_spectre_settings_and_seed() -> None:
    graphs = sbm_graphs(12, seed=5)
    for g in graphs:
        sizes = np.bincount([g.nodes[v]["block"] for v in g])
        assert 2 <= sizes.size <= 5 and sizes.min() >= 20 and sizes.max() <= 40
        assert nx.is_connected(g)
    again = sbm_graphs(12, seed=5)
    assert all(nx.utils.graphs_equal(a, b) for a, b in zip(graphs, again, strict=True))
    assert not all(nx.utils.graphs_equal(a, b) for a, b in zip(graphs, sbm_graphs(12, seed=6), strict=True))
    # pooled within-block edge frequency is close to 0.3 and between-block close to 0.005
    within = pairs_in = between = pairs_out = 0
    for g in graphs:
        block = nx.get_node_attributes(g, "block")
        sizes = np.bincount(list(block.values()))
        pairs_in += int((sizes * (sizes - 1) // 2).sum())
        pairs_out += int((sizes.sum() ** 2 - (sizes**2).sum()) // 2)
        same = sum(block[u] == block[v] for u, v in g.edges())
        within += same
        between += g.number_of_edges() - same
    assert abs(within / pairs_in - 0.3) < 0.01 and abs(between / pairs_out - 0.005) < 0.001


def test_planar_graphs_are_delaunay_triangulations() -> None:
    rng = np.random.default_rng(2)
    for g in planar_graphs(3, seed=2):
        points = rng.random((64, 2))  # the same draws the generator made
        hull = ConvexHull(points).vertices.size
        assert g.number_of_nodes() == 64
        assert g.number_of_edges() == 3 * 64 - 3 - hull  # edges of a triangulation with `hull` boundary points
        assert nx.check_planarity(g)[0]


def test_grid_graphs_have_exact_edge_counts() -> None:
    rng = np.random.default_rng(4)
    for g in grid_graphs(5, seed=4):
        r, c = (int(v) for v in rng.integers(10, 19, size=2, endpoint=True))
        assert g.number_of_nodes() == r * c and g.number_of_edges() == 2 * r * c - r - c
        degrees = np.bincount([d for _, d in g.degree()], minlength=5)
        assert degrees.tolist() == [0, 0, 4, 2 * (r - 2) + 2 * (c - 2), (r - 2) * (c - 2)]


def test_networkx_data_round_trip() -> None:
    g = nx.path_graph(5)
    g.add_node(5)  # an isolated node survives
    data = graph_to_data(g)
    assert data.num_nodes == 6 and data.edge_index.shape == (2, 8) and data.edge_attr.tolist() == [1] * 8
    assert nx.utils.graphs_equal(data_to_graph(data), g)


def test_dense_batch_round_trip_masks_and_symmetry() -> None:
    graphs, _ = smiles_to_graphs(["CCO", "c1ccccc1", "C#N", "CC[N+](=O)[O-]"], QM9_HEAVY)
    for g in graphs:
        g.pos = torch.randn(g.num_nodes, 3, generator=torch.Generator().manual_seed(g.num_nodes))
    batch = to_dense(graphs, max_nodes=8)
    assert batch.x.shape == (4, 8) and batch.adj.shape == (4, 8, 8) and batch.pos.shape == (4, 8, 3)
    assert batch.mask.sum(1).tolist() == [3, 6, 2, 5]
    assert torch.equal(batch.adj, batch.adj.transpose(1, 2))
    assert batch.adj[2, 0, 1] == 3 and batch.adj[:, 6:].abs().sum() == 0  # C#N triple; padding is empty
    assert batch.charge[3].tolist() == [0, 0, 1, 0, -1, 0, 0, 0]
    for a, b in zip(graphs, from_dense(batch), strict=True):
        assert torch.equal(a.x, b.x) and torch.equal(a.pos, b.pos) and torch.equal(a.charge, b.charge)
        dense_a = torch.zeros(a.num_nodes, a.num_nodes, dtype=torch.long)
        dense_a[a.edge_index[0], a.edge_index[1]] = a.edge_attr
        dense_b = torch.zeros_like(dense_a)
        dense_b[b.edge_index[0], b.edge_index[1]] = b.edge_attr
        assert torch.equal(dense_a, dense_b)
    x, e = one_hot_features(batch, 4, 4, torch.float64)
    assert x.sum().item() == 16 and x[3, 4, 2].item() == 1.0  # 16 real atoms; atom 4 of the nitro is O
    # one class per real ordered pair i != j: 6 + 30 + 2 + 20 = 58; 26 of them are bonds, 32 "no bond"
    assert e.sum().item() == 58 and e[..., 0].sum().item() == 32 and e[:, range(8), range(8)].sum().item() == 0


def test_dense_batch_rejects_bad_edges() -> None:
    ok = Data(
        x=torch.zeros(3, dtype=torch.long),
        edge_index=torch.tensor([[0, 1], [1, 0]]),
        edge_attr=torch.tensor([1, 1]),
        num_nodes=3,
    )
    one_way = Data(
        x=torch.zeros(3, dtype=torch.long),
        edge_index=torch.tensor([[0], [1]]),
        edge_attr=torch.tensor([1]),
        num_nodes=3,
    )
    loop = Data(
        x=torch.zeros(2, dtype=torch.long),
        edge_index=torch.tensor([[1], [1]]),
        edge_attr=torch.tensor([1]),
        num_nodes=2,
    )
    mixed = Data(
        x=torch.zeros(2, dtype=torch.long),
        edge_index=torch.tensor([[0, 1], [1, 0]]),
        edge_attr=torch.tensor([1, 2]),
        num_nodes=2,
    )
    with pytest.raises(ValueError, match="graph 1 has an edge without its reverse"):
        to_dense([ok, one_way])
    with pytest.raises(ValueError, match="graph 1 has a self-loop"):
        to_dense([ok, loop])
    with pytest.raises(ValueError, match="graph 0 has an edge without its reverse"):
        to_dense([mixed])
    with pytest.raises(ValueError, match="graph 0 has 3 nodes; max_nodes=2"):
        to_dense([ok], max_nodes=2)
