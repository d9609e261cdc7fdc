"""EDM bond inference and stability: exact bond orders from distances, real QM9 geometries, a stretched bond."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from sciddiff.domains.graphs.datasets import QM9_ATOMS, graph_to_data
from sciddiff.domains.graphs.metrics import bond_orders, dataset_stability, stability

# QM9 records (index, SMILES) with their B3LYP geometries in Angstrom, as shipped in qm9pack (rounded to 1e-6)
REAL = {
    "C (1)": ("CHHHH", [[-0.012698, 1.085804, 0.008001], [0.00215, -0.006031, 0.001976], [1.011731, 1.463751, 0.000277],
                        [-0.540815, 1.447527, -0.876644], [-0.523814, 1.437933, 0.906397]]),
    "C#N (5)": ("CNH", [[-0.013324, 1.132466, 0.008276], [0.002311, -0.019159, 0.001929], [-0.027803, 2.198949, 0.014154]]),
    "CCO (14)": ("CCOHHHHHH", [[-0.008605, 1.502038, -0.006812], [0.010993, -0.017649, -0.01377],
                              [0.680888, -0.440418, -1.193132], [1.011533, 1.89662, -0.019202],
                              [-0.531599, 1.880761, -0.889747], [-0.516746, 1.876118, 0.887107],
                              [0.523771, -0.389123, 0.888241], [-1.020275, -0.405073, 0.016907],
                              [0.695296, -1.401796, -1.201485]]),
    "OC1CC1O (104)": ("OCCCOHHHHHH", [[-0.216989, 1.382328, -0.010655], [-0.042647, -0.010563, 0.003595],
                                      [-0.445377, -0.788101, 1.23942], [-1.338759, -0.770062, 0.014541],
                                      [-2.519123, -0.035128, 0.034935], [0.311323, 1.766662, 0.695852],
                                      [0.791507, -0.368046, -0.596983], [0.10763, -1.688321, 1.485853],
                                      [-0.797295, -0.21163, 2.089183], [-1.422352, -1.675643, -0.578665],
                                      [-2.251687, 0.893763, -0.011409]]),
    "O=CC1=CN=CN1 (1027)": ("OCCCNCNHHHH", [[-0.162017, -0.021978, -0.000616], [-0.036725, 1.182786, 0.007688],
                                            [1.236152, 1.880423, -0.000767], [2.545569, 1.432675, -0.018605],
                                            [3.420014, 2.477024, -0.020177], [2.664647, 3.56269, -0.0036],
                                            [1.345548, 3.262711, 0.009354], [-0.928118, 1.854109, 0.022759],
                                            [2.877077, 0.405882, -0.030338], [3.027388, 4.579897, 0.000232],
                                            [0.580393, 3.917895, 0.023293]]),
    "CC(C)OC(N)=O (1125)": ("CCCOCNOHHHHHHHHH", [
        [-0.037717, 1.521146, -0.050811], [0.003688, -0.002185, 0.012981], [0.633032, -0.53799, 1.290787],
        [-1.34557, -0.53158, -0.02121], [-1.909741, -0.65507, -1.246231], [-3.198269, -1.098248, -1.118998],
        [-1.370131, -0.388975, -2.296127], [0.977835, 1.927122, -0.005317], [-0.496237, 1.848995, -0.986078],
        [-0.609341, 1.927213, 0.790055], [0.528091, -0.387702, -0.865772], [0.088014, -0.182958, 2.171291],
        [0.625724, -1.63131, 1.298872], [1.670015, -0.198606, 1.369214], [-3.481099, -1.510119, -0.245919],
        [-3.632814, -1.434882, -1.960939]]),
}  # fmt: skip
CYANOGEN = ("NCCN", [[0.017457, -1.161342, -0.004153], [0.002532, -0.003443, 0.001799],
                     [-0.016114, 1.37221, 0.009349], [-0.032643, 2.530083, 0.016091]])  # fmt: skip


def _mol(elements: str, xyz: list[list[float]]) -> tuple[torch.Tensor, torch.Tensor]:
    types = [QM9_ATOMS.index(e) for e in elements]
    return torch.tensor(xyz, dtype=torch.float64)[None], torch.tensor(types)[None]


@pytest.mark.parametrize(
    ("pair", "distance", "order"),
    [("CC", 1.20, 3), ("CC", 1.2299, 3), ("CC", 1.2301, 2), ("CC", 1.3899, 2), ("CC", 1.3901, 1),
     ("CC", 1.6399, 1), ("CC", 1.6401, 0), ("CO", 1.15, 3), ("CO", 1.24, 2), ("CH", 1.18, 1), ("CH", 1.19, 0),
     ("OH", 1.05, 1), ("CF", 1.40, 1), ("FF", 1.30, 1), ("HH", 0.74, 1), ("CH", 0.9, 1)],
)  # fmt: skip
def test_bond_order_from_distance(pair: str, distance: float, order: int) -> None:
    # thresholds: C-C single 154+10, double 134+5, triple 120+3 pm; C-H single 109+10; pairs lacking a table
    # entry (C-F double, H-anything double) never exceed the orders they have
    pos = torch.tensor([[[0.0, 0.0, 0.0], [distance, 0.0, 0.0]]], dtype=torch.float64)
    types = torch.tensor([[QM9_ATOMS.index(pair[0]), QM9_ATOMS.index(pair[1])]])
    bonds = bond_orders(pos, types)
    assert bonds[0, 0, 1] == bonds[0, 1, 0] == order and bonds[0, 0, 0] == 0


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_qm9_molecules_are_stable(name: str) -> None:
    pos, types = _mol(*REAL[name])
    s = stability(pos, types)
    assert bool(s.molecule_stable[0]) and s.atom_stability == 1.0


def test_cyanogen_is_a_known_unstable_qm9_molecule() -> None:
    # N#C-C#N: the central C-C (1.376 A) is shorter than 134 + 5 pm, so it reads as a double bond
    pos, types = _mol(*CYANOGEN)
    s = stability(pos, types)
    assert s.valence[0].tolist() == [3, 5, 5, 3] and s.atom_stability == 0.5 and not bool(s.molecule_stable[0])


def test_stretched_bond_breaks_stability_and_rigid_motion_does_not() -> None:
    pos, types = _mol(*REAL["CCO (14)"])
    stretched = pos.clone()
    # move O and its H 0.3 A further along the C-O bond: the C-O distance 1.42 -> 1.72 A (> 143 + 10 pm)
    axis = (pos[0, 2] - pos[0, 1]) / (pos[0, 2] - pos[0, 1]).norm()
    stretched[0, [2, 8]] += 0.3 * axis
    s = stability(stretched, types)
    assert s.valence[0, 1].item() == 3 and s.valence[0, 2].item() == 1
    assert not bool(s.molecule_stable[0]) and s.atom_stability == 7 / 9
    q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    moved = pos @ q.T + torch.tensor([3.0, -1.0, 2.0], dtype=torch.float64)
    assert torch.equal(bond_orders(moved, types), bond_orders(pos, types))


def test_padded_batch_and_dataset_helper_agree() -> None:
    mols = [_mol(*REAL[k]) for k in sorted(REAL)] + [_mol(*CYANOGEN)]
    n = max(p.shape[1] for p, _ in mols)
    pos = torch.zeros(len(mols), n, 3, dtype=torch.float64)
    types = torch.zeros(len(mols), n, dtype=torch.long)
    mask = torch.zeros(len(mols), n, dtype=torch.bool)
    graphs = []
    for b, (p, t) in enumerate(mols):
        k = p.shape[1]
        pos[b, :k], types[b, :k], mask[b, :k] = p[0], t[0], True
        g = graph_to_data(nx.empty_graph(k))
        g.x, g.pos = t[0], p[0]
        graphs.append(g)
    s = stability(pos, types, mask)
    total = sum(p.shape[1] for p, _ in mols)
    assert s.n_atoms == total and s.atom_stability == (total - 2) / total
    assert s.molecule_stable.tolist() == [True] * len(REAL) + [False]
    d = dataset_stability(graphs, batch_size=3)
    assert (
        d.n_atoms == total
        and d.atom_stability == s.atom_stability
        and torch.equal(d.molecule_stable, s.molecule_stable)
    )
