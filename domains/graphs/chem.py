"""Decoded molecular graphs -> RDKit molecules (2-D from bond types, 3-D from bonds inferred from distances).

2-D graphs use their bond classes; without generated formal charges, tetravalent nitrogen gets +1 as in DiGress
(Vignac et al., 2022, arXiv:2209.14734). 3-D molecules get EDM's distance-based bond orders (see
:mod:`sciddiff.domains.graphs.metrics.stability`) and a conformer with the generated coordinates, so they can be
written to SDF with their geometry.
"""

from __future__ import annotations

import torch
from rdkit import Chem
from rdkit.Geometry import Point3D
from sciddiff.domains.graphs.datasets import graph_to_mol
from sciddiff.domains.graphs.layout import GraphLayout
from sciddiff.domains.graphs.metrics import bond_orders
from torch_geometric.data import Data


def _adjacency(data: Data) -> torch.Tensor:
    n = int(data.num_nodes)
    adj = torch.zeros(n, n, dtype=torch.long)
    if data.edge_index.numel():
        adj[data.edge_index[0], data.edge_index[1]] = data.edge_attr.long()
    return adj


def graph_molecule(data: Data, layout: GraphLayout) -> Chem.Mol:
    """An unsanitised RDKit molecule of one decoded graph (with a conformer for 3-D molecules)."""
    if not layout.molecule:
        raise ValueError("these graphs are not molecules (the source has no atom types)")
    vocab = list(layout.node_vocab)
    types = data.x.long()
    if layout.positions:
        adj = bond_orders(data.pos[None].double(), types[None], atom_vocab=vocab)[0]
        mol = graph_to_mol(types, adj, vocab, kekulize=True)
        conf = Chem.Conformer(mol.GetNumAtoms())
        for i, (x, y, z) in enumerate(data.pos.double().tolist()):
            conf.SetAtomPosition(i, Point3D(x, y, z))
        mol = Chem.Mol(mol)
        mol.AddConformer(conf, assignId=True)
        return mol
    charges = getattr(data, "charge", None)
    kekulize = "aromatic" not in layout.edge_vocab
    return graph_to_mol(types, _adjacency(data), vocab, kekulize, charges, charge_tetravalent_nitrogen=charges is None)


def sanitized(mol: Chem.Mol) -> Chem.Mol | None:
    """A sanitised copy of ``mol``, or None when RDKit refuses it."""
    out = Chem.Mol(mol)
    try:
        Chem.SanitizeMol(out)
    except (Chem.rdchem.MolSanitizeException, RuntimeError, ValueError):
        return None
    return out
