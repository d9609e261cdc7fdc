"""Scaffold (substructure) completion as posterior sampling with a fixed part: the scaffold's k atoms are nodes
0..k-1 of every sample, their types (and, in 2-D, the bonds among them and their formal charges) are imposed with
:class:`sciddiff.guidance.Replacement` (for masked leaves the exact conditional of masked diffusion; Lugmayr et al.,
"RePaint", 2022, arXiv:2201.09865), and the rest of the molecule is generated around them.

3-D molecules live in the centre-of-mass-free frame, where the scaffold's absolute position is not known: its
coordinates c (k, 3) are held *up to translation*. :class:`TranslatedScaffold` replaces the predicted scaffold
coordinates D_S by c + mean(D_S) (the translation that best fits the rigid scaffold to the prediction, in least
squares), then re-projects the whole prediction to zero centre of mass over the real atoms, D <- D - mean_real(D),
so every guided update stays in the subspace the process lives in (Hoogeboom et al., "Equivariant Diffusion for
Molecule Generation in 3D", 2022, arXiv:2203.17003, for the zero-CoM frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rdkit import Chem, rdBase
from rdkit.Chem import AllChem
from sciddiff.domains.graphs.chem import graph_molecule, sanitized
from sciddiff.domains.graphs.datasets import bond_vocabulary, smiles_to_graphs
from sciddiff.domains.graphs.layout import FORMAL_CHARGES, GraphLayout
from torch import Tensor

from sciddiff.denoisers import Prediction
from sciddiff.guidance.discrete_replacement import Replacement


@dataclass
class Scaffold:
    """The fixed part: ``known`` and ``where`` per leaf, each (1, *event), for the first ``size`` nodes; ``pos``
    (k, 3) centred coordinates in state units for 3-D models; ``mol`` the RDKit scaffold (for matching)."""

    size: int
    known: dict[str, Tensor]
    where: dict[str, Tensor]
    pos: Tensor | None
    mol: Chem.Mol


def _graph_scaffold(smiles: str, layout: GraphLayout) -> Scaffold:
    kekulize = "aromatic" not in layout.edge_vocab
    if tuple(layout.edge_vocab) != bond_vocabulary(kekulize):
        raise ValueError(f"scaffolds need a molecule layout with bond classes; this one has {layout.edge_vocab}")
    graphs, report = smiles_to_graphs([smiles], list(layout.node_vocab), kekulize, "the scaffold")
    if not graphs:
        raise ValueError(f"scaffold SMILES {smiles!r} is not a valid molecule ({report.skipped[0][1]})")
    g, n = graphs[0], layout.max_nodes
    k = int(g.num_nodes)
    if k > n:
        raise ValueError(f"scaffold {smiles!r} has {k} heavy atoms; the model's graphs hold at most {n}")
    known = {"nodes": torch.zeros(1, n, dtype=torch.long), "edges": torch.zeros(1, n, n, dtype=torch.long)}
    where = {"nodes": torch.zeros(1, n, dtype=torch.bool), "edges": torch.zeros(1, n, n, dtype=torch.bool)}
    known["nodes"][0, :k], where["nodes"][0, :k] = g.x + 1, True
    known["edges"][0, g.edge_index[0], g.edge_index[1]] = g.edge_attr
    where["edges"][0, :k, :k] = True
    if layout.charges == "formal":
        known["charges"] = torch.zeros(1, n, dtype=torch.long)
        known["charges"][0, :k] = g.charge - FORMAL_CHARGES[0]
        where["charges"] = where["nodes"].clone()
    return Scaffold(k, known, where, None, Chem.MolFromSmiles(smiles))


def _embedded(smiles: str, hydrogens: bool, seed: int) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"scaffold SMILES {smiles!r} is not a valid molecule")
    mol = Chem.AddHs(mol)
    if AllChem.EmbedMolecule(mol, randomSeed=int(seed)) != 0:
        raise ValueError(f"RDKit could not embed scaffold {smiles!r} in 3-D")
    with rdBase.BlockLogs():
        AllChem.MMFFOptimizeMolecule(mol)
    return mol if hydrogens else Chem.RemoveHs(mol)


def _molecule_scaffold(mol: Chem.Mol, layout: GraphLayout, pos_scale: float) -> Scaffold:
    n, k = layout.max_nodes, mol.GetNumAtoms()
    if k > n:
        raise ValueError(f"the scaffold has {k} atoms; the model's molecules hold at most {n}")
    symbols = [a.GetSymbol() for a in mol.GetAtoms()]
    unknown = sorted(set(symbols) - set(layout.node_vocab))
    if unknown:
        raise ValueError(f"scaffold elements {unknown} are not in the model's vocabulary {layout.node_vocab}")
    xyz = torch.tensor(mol.GetConformer().GetPositions(), dtype=torch.float64)
    known = {"nodes": torch.zeros(1, n, dtype=torch.long)}
    where = {"nodes": torch.zeros(1, n, dtype=torch.bool)}
    known["nodes"][0, :k] = torch.tensor([layout.node_vocab.index(s) + 1 for s in symbols])
    where["nodes"][0, :k] = True
    centred = (xyz - xyz.mean(0)) / pos_scale
    return Scaffold(k, known, where, centred.float(), mol)


def make_scaffold(
    layout: GraphLayout,
    pos_scale: float,
    smiles: str | None = None,
    file: str | None = None,
    hydrogens: bool = False,
    seed: int = 0,
) -> Scaffold:
    """The scaffold of a SMILES (3-D: embedded with RDKit's ETKDG and MMFF from ``seed``, with explicit hydrogens
    only if ``hydrogens``) or of the first molecule of an SDF/mol ``file`` with its own coordinates (3-D only)."""
    if not layout.molecule:
        raise ValueError("scaffold completion needs a molecule model; this one generates unattributed graphs")
    if (smiles is None) == (file is None):
        raise ValueError("give exactly one of scaffold.smiles and scaffold.file")
    if not layout.positions:
        if file is not None:
            raise ValueError("a 2-D model takes its scaffold as scaffold.smiles, not a coordinate file")
        return _graph_scaffold(str(smiles), layout)
    if file is not None:
        if not Path(file).is_file():
            raise FileNotFoundError(f"no scaffold file at {file}")
        mol = next(iter(Chem.SDMolSupplier(str(file), removeHs=not hydrogens)), None)
        if mol is None or mol.GetNumConformers() == 0:
            raise ValueError(f"scaffold file {file} holds no molecule with coordinates")
        if not mol.GetConformer().Is3D():  # a 2-D drawing (z = 0 by construction), not a geometry
            raise ValueError(f"scaffold file {file} holds a flat (2-D) drawing; a 3-D model needs 3-D coordinates")
    else:
        mol = _embedded(str(smiles), hydrogens, seed)
    return _molecule_scaffold(mol, layout, pos_scale)


class TranslatedScaffold:
    """Holds the first k predicted coordinates at ``pos`` (k, 3) up to translation and re-projects the prediction
    to zero centre of mass over the real atoms (see the module docstring); other leaves pass through."""

    def __init__(self, denoiser: Any, pos: Tensor) -> None:
        self.denoiser, self.pos = denoiser, pos

    def __call__(self, x_t: dict[str, Tensor], t: Tensor, **cond: Any) -> Prediction:
        out = self.denoiser(x_t, t, **cond)
        mean = dict(out.mean)
        d, k = mean["pos"], self.pos.shape[0]
        c = self.pos.to(d.dtype).to(d.device)
        fixed = c + d[:, :k].mean(1, keepdim=True)
        d = torch.cat([fixed, d[:, k:]], 1)
        real = (x_t["nodes"] != 0)[..., None].to(d.dtype)
        d = (d - (d * real).sum(1, keepdim=True) / real.sum(1, keepdim=True).clamp_min(1.0)) * real
        mean["pos"] = d
        return Prediction(mean, None, out.logits)


def scaffold_denoiser(denoiser: Any, process: Any, scaffold: Scaffold) -> Any:
    """The denoiser that keeps the scaffold: Replacement on its categorical leaves, and for 3-D the translated
    coordinates on top."""
    out: Any = Replacement(denoiser, process, scaffold.known, scaffold.where)
    return out if scaffold.pos is None else TranslatedScaffold(out, scaffold.pos)


def scaffold_report(samples: list[Any], scaffold: Scaffold, layout: GraphLayout, pos_scale: float) -> dict[str, Any]:
    """How well samples keep the scaffold: ``fixed_part_exact`` (the fraction whose first k nodes carry the scaffold's
    types, and in 2-D its bonds among them), ``substructure_match`` (the fraction of *valid* molecules in which RDKit
    finds the scaffold, ``HasSubstructMatch``) and for 3-D ``max_coordinate_error`` (Angstrom, up to translation)."""
    k, exact, hits, valid, err = scaffold.size, 0, 0, 0, 0.0
    types = scaffold.known["nodes"][0, :k] - 1
    for g in samples:
        same = int(g.num_nodes) >= k and torch.equal(g.x[:k], types)
        if same and "edges" in scaffold.known:
            adj = torch.zeros(int(g.num_nodes), int(g.num_nodes), dtype=torch.long)
            adj[g.edge_index[0], g.edge_index[1]] = g.edge_attr
            same = torch.equal(adj[:k, :k], scaffold.known["edges"][0, :k, :k])
        if same and scaffold.pos is not None:
            p = g.pos[:k].double()
            err = max(err, float(((p - p.mean(0)) - scaffold.pos.double() * pos_scale).abs().max()))
        exact += int(same)
        mol = sanitized(graph_molecule(g, layout))
        if mol is not None:
            valid += 1
            hits += int(mol.HasSubstructMatch(scaffold.mol))
    out = {"fixed_part_exact": exact / len(samples), "n_valid": valid}
    out["substructure_match"] = hits / valid if valid else None
    if scaffold.pos is not None:
        out["max_coordinate_error"] = err
    return out
