"""Property vectors for property-conditional generation: RDKit's QED, logP and SA of the molecules' SMILES, or
QM9's DFT properties (e.g. the HOMO-LUMO gap ``gap_Ha``), standardised with the training split's mean and std.

RDKit properties of a split are cached (keyed by a hash of its SMILES), since QED over 100k molecules takes
about a minute. Ho & Salimans, "Classifier-Free Diffusion Guidance" (2022), arXiv:2207.12598, for how the
vector is used (dropped with probability ``p_uncond`` in training).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import torch
from rdkit import Chem, rdBase
from sciddiff.domains.graphs.datasets import QM9_PROPERTIES, PackedGraphs
from sciddiff.domains.graphs.metrics import logp, qed, sa_score
from torch import Tensor

from sciddiff.train.cache import cache_dir, load_plain, save_plain

RDKIT_PROPERTIES: dict[str, Callable[[Chem.Mol], float]] = {"qed": qed, "logp": logp, "sa": sa_score}


def available_properties(packed: PackedGraphs) -> list[str]:
    """The property names a dataset can condition on."""
    names = list(RDKIT_PROPERTIES) if "smiles" in packed.strings else []
    return names + list(packed.meta.get("properties", []) if "y" in packed.graph else [])


def molecule_property(mol: Chem.Mol | None, name: str) -> float:
    """An RDKit property of a molecule (NaN for None)."""
    if name not in RDKIT_PROPERTIES:
        raise ValueError(f"unknown RDKit property {name!r}; choose one of {sorted(RDKIT_PROPERTIES)}")
    return float("nan") if mol is None else RDKIT_PROPERTIES[name](mol)


def _rdkit_column(smiles: Sequence[str], name: str, cache: str | None) -> Tensor:
    key = hashlib.sha256("\n".join(smiles).encode()).hexdigest()[:16]
    path = cache_dir(cache) / f"graph_property_{name}_{len(smiles)}_{key}.pt"
    if path.is_file():
        return load_plain(path)["values"]
    values = []
    with rdBase.BlockLogs():
        for s in smiles:
            values.append(molecule_property(Chem.MolFromSmiles(s), name))
    out = torch.tensor(values, dtype=torch.float64)
    save_plain({"values": out}, path)
    return out


def property_table(packed: PackedGraphs, names: Sequence[str], cache: str | None = None) -> Tensor:
    """(G, k) float64 values of the named properties for every graph of ``packed``."""
    have = available_properties(packed)
    unknown = [n for n in names if n not in have]
    if unknown:
        raise ValueError(f"cannot condition on {unknown}: this source offers {have or 'no properties'}")
    cols = []
    for name in names:
        if name in RDKIT_PROPERTIES:
            cols.append(_rdkit_column(packed.strings["smiles"], name, cache))
        else:
            cols.append(packed.graph["y"][:, list(QM9_PROPERTIES).index(name)].double())
    table = torch.stack(cols, 1)
    bad = ~torch.isfinite(table).all(1)
    if bool(bad.any()):
        raise ValueError(f"property values are not finite for graph {int(bad.nonzero()[0, 0])} ({names})")
    return table
