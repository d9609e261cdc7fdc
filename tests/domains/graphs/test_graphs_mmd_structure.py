"""Graph MMDs (hand-computed kernels, self-distance 0) and planar / SBM validity."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from sciddiff.domains.graphs.datasets import planar_graphs, sbm_graphs
from sciddiff.domains.graphs.metrics import (
    fraction_valid,
    graph_mmds,
    is_planar_valid,
    is_sbm_valid,
    mmd2,
    recover_blocks,
    sbm_wald_pvalue,
)
from sciddiff.domains.graphs.metrics.mmd import clustering_histogram, degree_histogram, spectrum_histogram
from scipy.stats import chi2


def test_mmd_of_two_point_masses_by_hand() -> None:
    a, b = [np.array([1.0, 0.0])], [np.array([0.0, 3.0])]  # normalised to (1, 0) and (0, 1)
    # TV = 1 and W1 = 1, so k(a, b) = exp(-1/2) and MMD^2 = 1 + 1 - 2 exp(-1/2)
    assert mmd2(a, b, "tv") == pytest.approx(2 - 2 * math.exp(-0.5), abs=1e-15)
    assert mmd2(a, b, "emd") == pytest.approx(2 - 2 * math.exp(-0.5), abs=1e-15)
    # three bins apart: W1 = 3 (scaled by 1/3 here), TV still 1; histograms of different lengths are padded
    far = [np.array([0.0, 0.0, 0.0, 1.0])]
    assert mmd2(a, far, "emd", sigma=2.0, distance_scaling=3.0) == pytest.approx(2 - 2 * math.exp(-1 / 8), abs=1e-15)
    assert mmd2(a, far, "tv", sigma=0.5) == pytest.approx(2 - 2 * math.exp(-2.0), abs=1e-15)
    # two sets: mean over all pairs, including i = j
    pair = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    k = math.exp(-0.5)
    assert mmd2(pair, a, "tv") == pytest.approx((2 + 2 * k) / 4 + 1 - 2 * (1 + k) / 2, abs=1e-15)
    with pytest.raises(ValueError, match="kernel must be one of"):
        mmd2(a, b, "rbf")


def test_graph_histograms_by_hand() -> None:
    assert degree_histogram(nx.complete_graph(4)).tolist() == [0, 0, 0, 4]
    h = clustering_histogram(nx.star_graph(3))  # all clustering coefficients are 0
    assert h[0] == 4 and h.sum() == 4
    assert clustering_histogram(nx.complete_graph(5))[-1] == 5  # coefficient 1 falls in the last bin
    # normalised Laplacian of K_n has eigenvalues 0 and n/(n-1) (n-1 times)
    spec = spectrum_histogram(nx.complete_graph(5), bins=200)
    edges = np.linspace(-1e-5, 2.0, 201)
    assert spec[0] == 1 and spec[np.searchsorted(edges, 1.25, side="right") - 1] == 4


def test_mmd_self_is_zero_and_other_generators_differ() -> None:
    sbm, planar = sbm_graphs(8, seed=0), planar_graphs(8, seed=0)
    for kernel in ("tv", "emd"):
        same = graph_mmds(sbm, sbm, kernel)
        assert all(abs(v) < 1e-12 for v in same.values())
        other = graph_mmds(sbm, planar, kernel)
        assert all(v > 0.05 for v in other.values())
        near = graph_mmds(sbm, sbm_graphs(8, seed=1), kernel)
        assert all(near[k] < other[k] for k in near)
    # generated graphs without nodes are ignored
    assert graph_mmds(sbm, [*sbm, nx.empty_graph(0)]) == graph_mmds(sbm, sbm)


def test_planar_validity() -> None:
    assert all(is_planar_valid(g) for g in planar_graphs(3, seed=7))
    assert not is_planar_valid(nx.complete_graph(5))
    assert not is_planar_valid(nx.complete_bipartite_graph(3, 3))
    assert not is_planar_valid(nx.disjoint_union(nx.path_graph(3), nx.path_graph(3)))  # planar, disconnected
    assert fraction_valid([nx.complete_graph(4), nx.complete_graph(5)], "planar") == 0.5


def _exact_sbm(sizes: list[int], within: list[int], between: int) -> nx.Graph:
    """Blocks with exactly ``within[b]`` edges each (a prefix of all pairs) and ``between`` edges from block 0
    to block 1."""
    g, start = nx.Graph(), 0
    firsts = []
    for size, m in zip(sizes, within, strict=True):
        nodes = list(range(start, start + size))
        g.add_nodes_from(nodes)
        pairs = [(u, v) for i, u in enumerate(nodes) for v in nodes[i + 1 :]]
        ring = [(nodes[i], nodes[(i + 1) % size]) for i in range(size)]  # keep each block connected
        rest = [p for p in pairs if p not in ring and p[::-1] not in ring]
        g.add_edges_from(ring + rest[: m - size])
        firsts.append(start)
        start += size
    g.add_edges_from((firsts[0] + i, firsts[1] + i) for i in range(between))
    return g


def test_wald_pvalue_by_hand() -> None:
    # 2 blocks of 20: 190 pairs each, 57 edges = 0.3 exactly; 400 pairs between, 2 edges = 0.005 exactly
    g = _exact_sbm([20, 20], [57, 57], 2)
    blocks = [0] * 20 + [1] * 20
    assert sbm_wald_pvalue(g, blocks) == pytest.approx(1.0, abs=1e-6)  # up to the 1e-6 guards
    assert recover_blocks(g) in (blocks, [1 - b for b in blocks])
    assert is_sbm_valid(g)
    # 76 edges per block: p = 0.4, W = 0.01 / (0.24 + 1e-6); between-block entries still give p-value 1
    g = _exact_sbm([20, 20], [76, 76], 2)
    w = (0.4 - 0.3) ** 2 / (0.4 * 0.6 + 1e-6)
    expected = (2 * (1 - chi2.cdf(w, 1)) + 2 * (1 - chi2.cdf((2 / 400 - 0.005) ** 2 / 1e-6, 1))) / 4
    assert sbm_wald_pvalue(g, blocks) == pytest.approx(expected, abs=1e-6)
    # a single block of 40 fails the strict block-count check
    assert not is_sbm_valid(nx.complete_graph(40))


def test_sbm_validity_of_generated_and_other_graphs() -> None:
    sbm = sbm_graphs(30, seed=11)
    assert fraction_valid(sbm, "sbm") >= 0.85  # ~93% of true SBM draws pass (see metrics.structure)
    er = [nx.gnp_random_graph(g.number_of_nodes(), 0.08, seed=i) for i, g in enumerate(sbm[:10])]
    assert fraction_valid(er, "sbm") == 0.0
    with pytest.raises(ValueError, match="kind must be one of"):
        fraction_valid(sbm, "tree")
