"""RDKit molecules <-> torch-geometric graphs with atom types and bond orders.

A molecular graph is a ``Data`` with ``x`` (n,) atom-type indices into an element vocabulary, ``edge_index``
(2, 2m) holding both directions of every bond, ``edge_attr`` (2m,) bond-type indices into
:func:`bond_vocabulary` (0 is "no bond" and never appears on an edge), ``charge`` (n,) formal charges and
``smiles`` (RDKit's canonical SMILES of the molecule, before kekulisation). Hydrogens are implicit (heavy-atom graphs). With ``kekulize=True`` aromatic rings are written as
alternating single/double bonds and the bond classes are none/single/double/triple; with ``kekulize=False``
aromatic bonds keep their own class (index 4); that form loses which aromatic N carries the hydrogen
(pyrrole-type [nH]), so such molecules may not sanitise after a round trip, which is why kekulised is the
default.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from rdkit import Chem, rdBase
from sciddiff.domains.graphs.datasets.report import SkipReport
from sciddiff.domains.graphs.datasets.vocab import check_vocabulary, smiles_elements
from torch import Tensor
from torch_geometric.data import Data

_BONDS = {
    "single": Chem.BondType.SINGLE,
    "double": Chem.BondType.DOUBLE,
    "triple": Chem.BondType.TRIPLE,
    "aromatic": Chem.BondType.AROMATIC,
}


def bond_vocabulary(kekulize: bool = True) -> tuple[str, ...]:
    """Bond classes by index: ("none", "single", "double", "triple"), plus "aromatic" unless kekulised."""
    return ("none", "single", "double", "triple") if kekulize else ("none", "single", "double", "triple", "aromatic")


def mol_to_graph(mol: Chem.Mol, atom_vocab: Sequence[str], kekulize: bool = True) -> Data:
    """The heavy-atom graph of a sanitised molecule (hydrogens removed, atom order kept).

    Raises ``ValueError`` for an element outside ``atom_vocab`` or a bond type outside the bond vocabulary.
    """
    mol = Chem.RemoveHs(mol)
    smiles = Chem.MolToSmiles(mol)
    if kekulize:
        mol = Chem.Mol(mol)
        Chem.Kekulize(mol, clearAromaticFlags=True)
    index = {s: i for i, s in enumerate(atom_vocab)}
    bonds = {_BONDS[name]: k for k, name in enumerate(bond_vocabulary(kekulize)) if name != "none"}
    types, charges = [], []
    for atom in mol.GetAtoms():
        sym = atom.GetSymbol()
        if sym not in index:
            raise ValueError(f"atom {atom.GetIdx()} is {sym!r}, which is not in the vocabulary {tuple(atom_vocab)}")
        types.append(index[sym])
        charges.append(atom.GetFormalCharge())
    src, dst, kind = [], [], []
    for bond in mol.GetBonds():
        bt = bond.GetBondType()
        if bt not in bonds:
            raise ValueError(f"bond {bond.GetIdx()} has type {bt}, not in {bond_vocabulary(kekulize)[1:]}")
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        src += [i, j]
        dst += [j, i]
        kind += [bonds[bt], bonds[bt]]
    return Data(
        x=torch.tensor(types, dtype=torch.long),
        edge_index=torch.tensor([src, dst], dtype=torch.long).reshape(2, -1),
        edge_attr=torch.tensor(kind, dtype=torch.long),
        charge=torch.tensor(charges, dtype=torch.long),
        smiles=smiles,
        num_nodes=len(types),
    )


def graph_to_mol(
    atom_types: Tensor,
    bond_types: Tensor,
    atom_vocab: Sequence[str],
    kekulize: bool = True,
    charges: Tensor | None = None,
    charge_tetravalent_nitrogen: bool = False,
) -> Chem.Mol:
    """An unsanitised RDKit molecule from atom-type indices (n,) and a symmetric bond-type matrix (n, n).

    ``charge_tetravalent_nitrogen`` gives +1 to any N with four bonds' worth of valence, as DiGress does when
    no charges are generated (Vignac et al., "DiGress: Discrete Denoising diffusion for graph generation", 2022,
    arXiv:2209.14734). Validity is decided later, by sanitisation.
    """
    n = atom_types.shape[0]
    if bond_types.shape != (n, n):
        raise ValueError(f"bond_types has shape {tuple(bond_types.shape)}; {n} atoms need ({n}, {n})")
    if not torch.equal(bond_types, bond_types.T):
        raise ValueError("bond_types is not symmetric")
    vocab = bond_vocabulary(kekulize)
    if atom_types.numel() and (int(atom_types.min()) < 0 or int(atom_types.max()) >= len(atom_vocab)):
        raise ValueError(f"atom types must lie in [0, {len(atom_vocab)}); got {atom_types.tolist()}")
    if bond_types.numel() and (int(bond_types.min()) < 0 or int(bond_types.max()) >= len(vocab)):
        raise ValueError(f"bond types must lie in [0, {len(vocab)}) for {vocab}; got max {int(bond_types.max())}")
    order = {"single": 1, "double": 2, "triple": 3, "aromatic": 1.5}
    mol = Chem.RWMol()
    for k, t in enumerate(atom_types.tolist()):
        atom = Chem.Atom(atom_vocab[t])
        if charges is not None:
            atom.SetFormalCharge(int(charges[k]))
        mol.AddAtom(atom)
    valence = [0.0] * n
    for i, j in torch.triu_indices(n, n, offset=1).T.tolist():
        b = int(bond_types[i, j])
        if b:
            mol.AddBond(i, j, _BONDS[vocab[b]])
            if vocab[b] == "aromatic":
                mol.GetAtomWithIdx(i).SetIsAromatic(True)
                mol.GetAtomWithIdx(j).SetIsAromatic(True)
                mol.GetBondBetweenAtoms(i, j).SetIsAromatic(True)
            valence[i] += order[vocab[b]]
            valence[j] += order[vocab[b]]
    if charge_tetravalent_nitrogen:
        for k, atom in enumerate(mol.GetAtoms()):
            if atom.GetSymbol() == "N" and valence[k] == 4 and atom.GetFormalCharge() == 0:
                atom.SetFormalCharge(1)
    return mol.GetMol()


def data_to_mol(
    data: Data, atom_vocab: Sequence[str], kekulize: bool = True, charge_tetravalent_nitrogen: bool = False
) -> Chem.Mol:
    """:func:`graph_to_mol` for a molecular ``Data`` (its ``charge``, if present, is used)."""
    n = int(data.num_nodes)
    adj = torch.zeros(n, n, dtype=torch.long)
    adj[data.edge_index[0], data.edge_index[1]] = data.edge_attr.long()
    charges = getattr(data, "charge", None)
    return graph_to_mol(data.x, adj, atom_vocab, kekulize, charges, charge_tetravalent_nitrogen)


def smiles_to_graphs(
    smiles: Sequence[str],
    atom_vocab: Sequence[str],
    kekulize: bool = True,
    source: str = "SMILES list",
    records: Sequence[int] | None = None,
) -> tuple[list[Data], SkipReport]:
    """Heavy-atom graphs of a list of SMILES; unparsable or unsanitisable records are skipped and reported.

    The element vocabulary is checked over all records first (hydrogens are always allowed), and an
    unsupported element raises ``ValueError`` naming it and its record. Records are numbered by position,
    or by ``records`` (e.g. rows of the file a subset came from); each kept graph carries its ``record``.
    """
    if records is not None and len(records) != len(smiles):
        raise ValueError(f"{len(records)} record numbers for {len(smiles)} SMILES")
    numbers = list(records) if records is not None else list(range(len(smiles)))
    check_vocabulary((smiles_elements(s) for s in smiles), atom_vocab, source, ignore=("H",), numbers=numbers)
    report = SkipReport(source, len(smiles))
    graphs = []
    with rdBase.BlockLogs():
        for i, s in zip(numbers, smiles, strict=True):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                report.skip(i, f"invalid SMILES {s!r}")
                continue
            if mol.GetNumHeavyAtoms() == 0:
                report.skip(i, f"no heavy atoms in {s!r}")
                continue
            try:
                g = mol_to_graph(mol, atom_vocab, kekulize)
            except (ValueError, Chem.KekulizeException) as err:
                report.skip(i, f"{s!r}: {err}")
                continue
            g.record = i
            graphs.append(g)
    return graphs, report
