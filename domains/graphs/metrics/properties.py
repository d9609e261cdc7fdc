"""Molecular properties from RDKit: QED (Bickerton et al., "Quantifying the chemical beauty of drugs", 2012,
Nature Chemistry 4:90), Crippen logP (Wildman & Crippen, J. Chem. Inf. Comput. Sci. 39:868, 1999) and the
synthetic accessibility score (Ertl & Schuffenhauer, "Estimation of synthetic accessibility score of drug-like
molecules", 2009, J. Cheminformatics 1:8), the last from the ``sascorer`` module that RDKit ships in
``RDConfig.RDContribDir/SA_Score`` (loaded from there by file path).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from rdkit import Chem, RDConfig
from rdkit.Chem import QED, Crippen


def _as_mol(mol: Chem.Mol | str) -> Chem.Mol:
    if isinstance(mol, str):
        parsed = Chem.MolFromSmiles(mol)
        if parsed is None:
            raise ValueError(f"invalid SMILES {mol!r}")
        return parsed
    return mol


@cache
def _sascorer() -> ModuleType:
    path = Path(RDConfig.RDContribDir) / "SA_Score" / "sascorer.py"
    if not path.is_file():
        raise FileNotFoundError(f"RDKit's SA_Score contribution is missing: {path} does not exist")
    spec = importlib.util.spec_from_file_location("sascorer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def qed(mol: Chem.Mol | str) -> float:
    """Quantitative estimate of drug-likeness in [0, 1] (RDKit's default weights)."""
    return float(QED.qed(_as_mol(mol)))


def logp(mol: Chem.Mol | str) -> float:
    """Crippen's atom-additive octanol/water log P."""
    return float(Crippen.MolLogP(_as_mol(mol)))


def sa_score(mol: Chem.Mol | str) -> float:
    """Synthetic accessibility from 1 (easy) to 10 (hard)."""
    return float(_sascorer().calculateScore(_as_mol(mol)))
