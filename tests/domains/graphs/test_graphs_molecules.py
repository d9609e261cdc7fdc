"""SMILES element tokenizer, vocabulary checks, SMILES -> graph with skip reports, graph <-> molecule."""

from __future__ import annotations

import pytest
import torch
from rdkit import Chem
from sciddiff.domains.graphs.datasets import (
    QM9_HEAVY,
    bond_vocabulary,
    check_vocabulary,
    data_to_mol,
    graph_to_mol,
    smiles_elements,
    smiles_to_graphs,
)


def test_smiles_elements_reads_two_letter_bracket_and_aromatic_atoms() -> None:
    assert smiles_elements("ClCC(Br)c1cc[nH]c1") == ["Cl", "C", "C", "Br", "C", "C", "C", "N", "C"]
    assert smiles_elements("[13CH3][C@@H](O)[O-].[Na+]") == ["C", "C", "O", "O", "Na"]
    assert smiles_elements("c1cc[se]c1[Si](C)(C)C") == ["C", "C", "C", "Se", "C", "Si", "C", "C", "C"]


def test_vocabulary_check_names_element_and_record_before_parsing() -> None:
    # record 1 is unparsable, but the unsupported element in record 2 is reported first: the check runs up front
    with pytest.raises(ValueError, match=r"record 2 of SMILES list contains element 'S'"):
        smiles_to_graphs(["CCO", "C1CC", "CCS"], QM9_HEAVY)
    with pytest.raises(ValueError, match=r"record 7 of rows contains element 'Cl'"):
        check_vocabulary([["C"], ["Cl"]], QM9_HEAVY, "rows", numbers=[3, 7])


def test_invalid_smiles_are_skipped_with_record_numbers() -> None:
    smiles = ["CCO", "C1CC", "C(C)(C)(C)(C)C", "c1ccccc1", "[H][H]", "N#N"]
    graphs, report = smiles_to_graphs(smiles, QM9_HEAVY, records=[10, 11, 12, 13, 14, 15])
    assert [g.record for g in graphs] == [10, 13, 15]
    assert [i for i, _ in report.skipped] == [11, 12, 14]
    assert (report.n_records, report.n_kept, report.n_skipped) == (6, 3, 3)
    assert "invalid SMILES 'C1CC'" in report.skipped[0][1] and "no heavy atoms" in report.skipped[2][1]


def test_benzene_kekulised_and_aromatic_bond_types() -> None:
    (kek,), _ = smiles_to_graphs(["c1ccccc1"], QM9_HEAVY, kekulize=True)
    (aro,), _ = smiles_to_graphs(["c1ccccc1"], QM9_HEAVY, kekulize=False)
    assert bond_vocabulary(True) == ("none", "single", "double", "triple")
    assert bond_vocabulary(False)[4] == "aromatic"
    # six bonds, both directions: three single and three double when kekulised, six aromatic otherwise
    assert sorted(kek.edge_attr.tolist()) == [1] * 6 + [2] * 6
    assert aro.edge_attr.tolist() == [4] * 12
    assert kek.smiles == aro.smiles == "c1ccccc1"


@pytest.mark.parametrize("kekulize", [True, False])
def test_graph_to_molecule_round_trip(kekulize: bool) -> None:
    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "C#N", "CC[N+](=O)[O-]", "FC(F)(F)c1ccncc1", "O=Cc1ccoc1"]
    graphs, report = smiles_to_graphs(smiles, QM9_HEAVY, kekulize=kekulize)
    assert report.n_skipped == 0
    for s, g in zip(smiles, graphs, strict=True):
        mol = data_to_mol(g, QM9_HEAVY, kekulize)
        Chem.SanitizeMol(mol)
        assert Chem.MolToSmiles(mol) == Chem.CanonSmiles(s)


def test_graph_to_mol_checks_and_nitrogen_charge() -> None:
    # ammonium-like N with four single bonds: invalid without a charge, valid with DiGress's +1
    types = torch.tensor([1, 0, 0, 0, 0])  # N, C, C, C, C
    adj = torch.zeros(5, 5, dtype=torch.long)
    adj[0, 1:] = adj[1:, 0] = 1
    plain = graph_to_mol(types, adj, QM9_HEAVY)
    with pytest.raises(Chem.rdchem.AtomValenceException):
        Chem.SanitizeMol(plain)
    charged = graph_to_mol(types, adj, QM9_HEAVY, charge_tetravalent_nitrogen=True)
    Chem.SanitizeMol(charged)
    assert Chem.MolToSmiles(charged) == "C[N+](C)(C)C"
    adj[0, 1] = 2
    with pytest.raises(ValueError, match="not symmetric"):
        graph_to_mol(types, adj, QM9_HEAVY)
    with pytest.raises(ValueError, match=r"atom types must lie in \[0, 4\)"):
        graph_to_mol(torch.tensor([0, 4]), torch.zeros(2, 2, dtype=torch.long), QM9_HEAVY)
