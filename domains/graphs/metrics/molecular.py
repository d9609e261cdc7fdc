"""Validity, uniqueness and novelty of generated molecules, as in DiGress (Vignac et al., "DiGress: Discrete
Denoising diffusion for graph generation", 2022, arXiv:2209.14734).

A molecule is valid when RDKit sanitises it; it is then represented by the canonical SMILES of its largest
fragment (by atom count). Uniqueness is the fraction of distinct SMILES among the valid ones; novelty is the
fraction of the distinct valid SMILES that are absent from the training set. SMILES are non-isomeric, since
generated graphs carry no stereochemistry; training SMILES go through the same canonicalisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rdkit import Chem, rdBase

MolLike = Chem.Mol | str | None


def canonical_smiles(mol: MolLike) -> str | None:
    """Canonical heavy-atom SMILES of the largest fragment of a sanitisable molecule (a Mol or SMILES), else None:
    a molecule with explicit hydrogens (3-D, with H) and its heavy-atom graph give the same string."""
    if mol is None:
        return None
    with rdBase.BlockLogs():
        if isinstance(mol, str):
            mol = Chem.MolFromSmiles(mol)
            if mol is None:
                return None
        else:
            mol = Chem.Mol(mol)
            try:
                Chem.SanitizeMol(mol)
            except (Chem.rdchem.MolSanitizeException, RuntimeError, ValueError):
                return None
        if mol.GetNumAtoms() == 0:
            return None
        frags = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
        largest = max(frags, key=lambda m: m.GetNumAtoms())
        heavy = Chem.RemoveHs(largest, sanitize=False)  # explicit hydrogens (3-D molecules) as implicit ones
        return Chem.MolToSmiles(heavy, isomericSmiles=False)


@dataclass(frozen=True)
class MoleculeMetrics:
    """Counts and fractions; ``novelty`` is None when no training set was given."""

    n_generated: int
    n_valid: int
    n_unique: int
    n_novel: int | None
    n_train: int | None

    @property
    def validity(self) -> float:
        return self.n_valid / self.n_generated if self.n_generated else 0.0

    @property
    def uniqueness(self) -> float:
        return self.n_unique / self.n_valid if self.n_valid else 0.0

    @property
    def novelty(self) -> float | None:
        if self.n_novel is None:
            return None
        return self.n_novel / self.n_unique if self.n_unique else 0.0


@dataclass(frozen=True)
class TrainingSet:
    """The canonical SMILES of a training set (build once with :func:`training_set`, reuse for every sample)."""

    smiles: frozenset[str]

    def __len__(self) -> int:
        return len(self.smiles)


def training_set(smiles: Iterable[str]) -> TrainingSet:
    """Canonicalise a training set's SMILES (invalid entries dropped)."""
    return TrainingSet(frozenset(s for s in map(canonical_smiles, smiles) if s is not None))


def molecule_metrics(mols: Sequence[MolLike], train: TrainingSet | Iterable[str] | None = None) -> MoleculeMetrics:
    """Validity, uniqueness and novelty of ``mols`` (RDKit Mols, SMILES, or None for a failed generation).

    ``train`` is a :class:`TrainingSet`, or any iterable of SMILES (canonicalised here).
    """
    valid = [s for s in map(canonical_smiles, mols) if s is not None]
    unique = set(valid)
    if train is None:
        return MoleculeMetrics(len(mols), len(valid), len(unique), None, None)
    ref = train if isinstance(train, TrainingSet) else training_set(train)
    return MoleculeMetrics(len(mols), len(valid), len(unique), len(unique - ref.smiles), len(ref))
