"""Seeded synthetic graph families from networkx generators, as in SPECTRE and DiGress.

- Stochastic block model (SPECTRE, Martinkus et al. 2022, arXiv:2204.01613; used by DiGress): 2-5
  communities (uniform, inclusive) of 20-40 nodes each (uniform, inclusive), p_intra 0.3, p_inter 0.005;
  disconnected draws are rejected and redrawn. Each node's community is kept as the node attribute "block".
- Planar (SPECTRE): the Delaunay triangulation of 64 points uniform in the unit square.
- Grids (GraphRNN, You et al. 2018, arXiv:1802.08773): 2-D grids with both sides uniform in 10-19.
Every generator draws from one ``numpy.random.Generator(seed)``, so a seed fixes the whole list.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import torch
from scipy.spatial import Delaunay
from torch_geometric.data import Data
from torch_geometric.utils import to_networkx


def sbm_graphs(
    n_graphs: int,
    seed: int = 0,
    communities: tuple[int, int] = (2, 5),
    community_size: tuple[int, int] = (20, 40),
    p_intra: float = 0.3,
    p_inter: float = 0.005,
) -> list[nx.Graph]:
    """Connected SBM graphs; community count and sizes are drawn uniformly from the inclusive ranges."""
    rng = np.random.default_rng(seed)
    graphs: list[nx.Graph] = []
    while len(graphs) < n_graphs:
        k = int(rng.integers(communities[0], communities[1], endpoint=True))
        sizes = rng.integers(community_size[0], community_size[1], size=k, endpoint=True).tolist()
        probs = np.full((k, k), p_inter)
        np.fill_diagonal(probs, p_intra)
        g = nx.stochastic_block_model(sizes, probs.tolist(), seed=rng)
        if nx.is_connected(g):
            graphs.append(g)
    return graphs


def planar_graphs(n_graphs: int, n_nodes: int = 64, seed: int = 0) -> list[nx.Graph]:
    """Delaunay triangulations of ``n_nodes`` uniform random points in the unit square (planar, connected)."""
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_graphs):
        tri = Delaunay(rng.random((n_nodes, 2)))
        g = nx.Graph()
        g.add_nodes_from(range(n_nodes))
        for a, b, c in tri.simplices.tolist():
            g.add_edges_from([(a, b), (b, c), (a, c)])
        graphs.append(g)
    return graphs


def grid_graphs(n_graphs: int, sides: tuple[int, int] = (10, 19), seed: int = 0) -> list[nx.Graph]:
    """2-D grid graphs with each side drawn uniformly from ``sides`` (inclusive); nodes are 0..n-1 row-major."""
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_graphs):
        rows, cols = (int(v) for v in rng.integers(sides[0], sides[1], size=2, endpoint=True))
        graphs.append(nx.convert_node_labels_to_integers(nx.grid_2d_graph(rows, cols), ordering="sorted"))
    return graphs


def graph_to_data(g: nx.Graph) -> Data:
    """An unattributed graph as ``Data`` (nodes relabelled 0..n-1 in sorted order): node type x = 0, edge type
    edge_attr = 1, both directions of every edge in ``edge_index``."""
    g = nx.convert_node_labels_to_integers(g, ordering="sorted")
    pairs = torch.tensor([(u, v) for u, v in g.edges() if u != v], dtype=torch.long).reshape(-1, 2)
    edge_index = torch.cat([pairs, pairs.flip(1)]).T
    n = g.number_of_nodes()
    return Data(
        x=torch.zeros(n, dtype=torch.long),
        edge_index=edge_index,
        edge_attr=torch.ones(edge_index.shape[1], dtype=torch.long),
        num_nodes=n,
    )


def data_to_graph(data: Data) -> nx.Graph:
    """The undirected simple graph of a ``Data`` (self-loops dropped)."""
    return to_networkx(data, to_undirected=True, remove_self_loops=True)
