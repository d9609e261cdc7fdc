"""Validity, uniqueness, novelty on hand-picked molecules; QED, logP and SA against RDKit and known values."""

from __future__ import annotations

import pytest
import torch
from rdkit import Chem
from rdkit.Chem import QED, Crippen, rdMolDescriptors
from sciddiff.domains.graphs.datasets import QM9_HEAVY, graph_to_mol
from sciddiff.domains.graphs.metrics import canonical_smiles, logp, molecule_metrics, qed, sa_score, training_set

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def _pentavalent_carbon() -> Chem.Mol:
    adj = torch.zeros(6, 6, dtype=torch.long)
    adj[0, 1:] = adj[1:, 0] = 1
    return graph_to_mol(torch.zeros(6, dtype=torch.long), adj, QM9_HEAVY)


def test_validity_uniqueness_novelty_by_hand() -> None:
    mols = [
        "CCO",
        "OCC",  # the same molecule as CCO
        "C1CC",  # unparsable
        None,  # a failed generation
        _pentavalent_carbon(),  # fails sanitisation
        "CC.O",  # valid; its largest fragment is ethane
        Chem.MolFromSmiles("c1ccccc1"),
        "C1=CC=CC=C1",  # benzene again, kekulised
    ]
    m = molecule_metrics(mols, train=["OCC", "C(C)", "not a smiles"])
    assert (m.n_generated, m.n_valid, m.n_unique, m.n_novel, m.n_train) == (8, 5, 3, 1, 2)
    assert m.validity == 5 / 8 and m.uniqueness == 3 / 5 and m.novelty == 1 / 3
    assert molecule_metrics(mols).novelty is None
    ref = training_set(["c1ccccc1", "CC"])
    assert molecule_metrics(mols, ref).n_novel == 1  # only ethanol is new


def test_canonical_smiles_is_non_isomeric_largest_fragment() -> None:
    assert canonical_smiles("C[C@H](N)O") == canonical_smiles("CC(N)O") == "CC(N)O"
    assert canonical_smiles("[Na+].[O-]C(=O)c1ccccc1") == "O=C([O-])c1ccccc1"
    assert canonical_smiles(_pentavalent_carbon()) is None and canonical_smiles("") is None


def test_molecules_with_explicit_hydrogens_compare_with_heavy_atom_training_sets() -> None:
    """3-D molecules carry their hydrogens as atoms: they must match the same heavy-atom training SMILES."""
    heavy = ["OC1CC1O", "CC(=O)N", "c1ccncc1"]
    with_h = [Chem.AddHs(Chem.MolFromSmiles(s)) for s in heavy]
    assert [canonical_smiles(m) for m in with_h] == [canonical_smiles(s) for s in heavy]
    m = molecule_metrics([*with_h, Chem.AddHs(Chem.MolFromSmiles("CCO"))], training_set(heavy))
    assert (m.n_valid, m.n_unique, m.n_novel) == (4, 4, 1)  # only ethanol is new


def test_qed_logp_sa_match_rdkit_and_reference_values() -> None:
    mol = Chem.MolFromSmiles(ASPIRIN)
    assert qed(ASPIRIN) == QED.qed(mol)
    assert abs(qed(ASPIRIN) - 0.5501217966938848) < 1e-12
    assert logp(mol) == Crippen.MolLogP(mol)
    # Crippen logP is the sum of per-atom contributions over the molecule with explicit hydrogens
    contribs = rdMolDescriptors._CalcCrippenContribs(Chem.AddHs(mol))
    assert abs(logp(ASPIRIN) - sum(c[0] for c in contribs)) < 1e-12
    assert abs(logp(ASPIRIN) - 1.3101) < 1e-9
    assert abs(logp("Cn1cnc2c1c(=O)n(C)c(=O)n2C") - (-1.0293)) < 1e-9  # caffeine
    assert abs(sa_score(ASPIRIN) - 1.580039750008826) < 1e-9
    assert sa_score("c1ccccc1") == 1.0  # the score is clipped below at 1
    assert (
        sa_score("c1ccccc1")
        < sa_score(ASPIRIN)
        < sa_score("C[C@H]1C[C@@]2(C)[C@@H](C[C@H]1O)CC[C@@H]1[C@@H]2CC[C@]2(C)[C@@H](O)CC[C@@H]12")
    )
    with pytest.raises(ValueError, match="invalid SMILES 'C1CC'"):
        qed("C1CC")
