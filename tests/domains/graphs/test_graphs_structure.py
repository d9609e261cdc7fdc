"""Structural features of noisy graphs: exact degrees, valences and random-walk probabilities on rings, padding
and mask-token handling, and permutation equivariance of the features and of the denoiser that reads them."""

from __future__ import annotations

import math

import pytest
import torch
from sciddiff.domains.graphs.app import fitted_splits
from sciddiff.domains.graphs.nets import GraphDenoiser
from sciddiff.domains.graphs.nets.structure import edge_weights, feature_sizes, structural_features

from sciddiff.processes import MarginalProcess, MaskedProcess, MixedProcess
from sciddiff.train import TrainedModel

BONDS = [0.0, 1.0, 2.0, 3.0]  # none, single, double, triple; state 4 is the mask token


def _rings(n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """A single-bonded hexagon (nodes 0-5), a double-bonded triangle (6-8), node 9 with a masked pair to 0."""
    e = torch.zeros(1, n, n, dtype=torch.long)
    for i in range(6):
        e[0, i, (i + 1) % 6] = e[0, (i + 1) % 6, i] = 1
    for i, j in [(6, 7), (7, 8), (8, 6)]:
        e[0, i, j] = e[0, j, i] = 2
    e[0, 0, 9] = e[0, 9, 0] = 4
    mask = torch.zeros(1, n, dtype=torch.bool)
    mask[0, :10] = True
    return e, mask


def test_features_by_hand_on_rings() -> None:
    e, mask = _rings()
    fx, fe = structural_features(e, mask, BONDS, 6)
    assert fx.shape == (1, 10, feature_sizes(6)[0]) and fe.shape == (1, 10, 10, feature_sizes(6)[1])
    degree, valence, masked = fx[0, :, 0], fx[0, :, 1], fx[0, :, 2]
    assert degree.tolist() == [2.0] * 9 + [0.0]
    assert valence.tolist() == [2.0] * 6 + [4.0] * 3 + [0.0]
    assert masked[0] == pytest.approx(1 / 9) and masked[9] == pytest.approx(1 / 9) and masked[1:9].abs().max() == 0
    returns = fx[0, :, 3:8]  # diag(P^k), k = 2..6
    # closed walks on a 6-cycle: C(k, k/2) with zero net winding plus 2 winding once at k = 6, over 2^k
    assert returns[0].tolist() == pytest.approx([2 / 4, 0.0, 6 / 16, 0.0, 22 / 64])
    # on a triangle: (2^k + 2 (-1)^k) / 3 closed walks over 2^k
    assert returns[6].tolist() == pytest.approx([(2**k + 2 * (-1) ** k) / 3 / 2**k for k in range(2, 7)])
    assert returns[9].abs().max() == 0
    assert fx[0, 0, 8:].tolist() == pytest.approx([math.log(11), 1 / 45])  # 10 real nodes; 1 of 45 pairs masked
    assert fe[0, 0, 1, 0] == pytest.approx(0.5) and fe[0, 0, 3, 2] == pytest.approx(2 / 8)
    assert fe[0, 0, 6].abs().max() == 0  # no walk joins the two rings
    assert torch.equal(fe, fe.transpose(1, 2))


def test_padding_and_junk_states_do_not_reach_real_nodes() -> None:
    e, mask = _rings()
    fx, fe = structural_features(e, mask, BONDS, 5)
    wide = torch.full((1, 13, 13), 2, dtype=torch.long)
    wide[:, :10, :10] = e
    wide_mask = torch.zeros(1, 13, dtype=torch.bool)
    wide_mask[0, :10] = True
    gx, ge = structural_features(wide, wide_mask, BONDS, 5)
    assert torch.allclose(gx[:, :10], fx)
    assert torch.allclose(ge[:, :10, :10], fe)
    assert gx[:, 10:].abs().max() == 0 and ge[:, 10:].abs().max() == 0 and ge[:, :, 10:].abs().max() == 0


def test_features_permute_with_the_nodes() -> None:
    g = torch.Generator().manual_seed(3)
    e = torch.randint(0, 5, (2, 8, 8), generator=g)
    e = torch.triu(e, 1) + torch.triu(e, 1).transpose(1, 2)
    mask = torch.ones(2, 8, dtype=torch.bool)
    mask[1, 6:] = False
    perm = torch.tensor([3, 7, 0, 5, 1, 6, 2, 4])
    fx, fe = structural_features(e, mask, BONDS, 7)
    px, pe = structural_features(e[:, perm][:, :, perm], mask[:, perm], BONDS, 7)
    assert torch.allclose(px, fx[:, perm], atol=1e-6) and torch.allclose(pe, fe[:, perm][:, :, perm], atol=1e-6)


def test_denoiser_with_structure_is_permutation_equivariant() -> None:
    process = MixedProcess(None, {"nodes": MaskedProcess(4, "cosine"), "edges": MaskedProcess(4, "cosine")})
    torch.manual_seed(0)
    net = GraphDenoiser(process, 4, 4, hidden_x=16, hidden_e=8, hidden_y=8, n_layers=2, n_head=2, walk_length=6,
                        edge_weights=BONDS).double().eval()  # fmt: skip
    g = torch.Generator().manual_seed(1)
    nodes = torch.randint(1, 5, (2, 7), generator=g)
    nodes[1, 5:] = 0
    e = torch.randint(0, 5, (2, 7, 7), generator=g)
    e = torch.triu(e, 1) + torch.triu(e, 1).transpose(1, 2)
    e[1, 5:], e[1, :, 5:] = 0, 0
    t = torch.tensor([0.3, 0.7], dtype=torch.float64)
    perm = torch.tensor([4, 0, 6, 2, 1, 3, 5])
    perm1 = torch.tensor([4, 0, 2, 1, 3, 5, 6])  # graph 1 keeps its padding last
    base = net({"nodes": nodes, "edges": e}, t).logits
    for b, p in ((0, perm), (1, perm1)):
        out = net({"nodes": nodes[b : b + 1, p], "edges": e[b : b + 1, p][:, :, p]}, t[b : b + 1]).logits
        assert torch.allclose(out["nodes"][0], base["nodes"][b, p], atol=1e-9)
        assert torch.allclose(out["edges"][0], base["edges"][b, p][:, p], atol=1e-9)
    # the features change the output: the same weights without them would not even take these inputs
    assert net.net.in_x[0].in_features == 5 + feature_sizes(6)[0]


def test_edge_weights_and_bad_arguments() -> None:
    assert edge_weights(("none", "single", "double", "triple", "aromatic")) == [0.0, 1.0, 2.0, 3.0, 1.5]
    assert edge_weights(("none", "edge")) == [0.0, 1.0]
    with pytest.raises(ValueError, match="walk length >= 2"):
        feature_sizes(1)
    process = MixedProcess(None, {"nodes": MaskedProcess(4, "cosine"), "edges": MaskedProcess(4, "cosine")})
    with pytest.raises(ValueError, match="one weight per edge class"):
        GraphDenoiser(process, 4, 4, walk_length=4, edge_weights=[0.0, 1.0])


def test_marginal_edges_use_the_training_bond_frequencies(qm9_marginal_model: TrainedModel) -> None:
    model = qm9_marginal_model
    train = fitted_splits(model)["train"]
    counts = torch.zeros(4, dtype=torch.float64)
    for n, e in zip(train.counts.tolist(), train.leaves["edges"], strict=True):
        block = e[:n, :n].long()
        off = ~torch.eye(n, dtype=torch.bool)
        counts += torch.bincount(block[off], minlength=4).double()
    edges = MixedProcess.of(model.process).categorical["edges"]
    assert isinstance(edges, MarginalProcess)
    assert edges.stationary.tolist() == pytest.approx((counts / counts.sum()).tolist(), abs=1e-12)
    graphs = model.adapter.decode(model.sample(4, "ancestral", 4, seed=0))
    for g in graphs:  # no mask token exists for the edges: every drawn bond is a real class
        assert set(g.edge_attr.tolist()) <= {1, 2, 3}
