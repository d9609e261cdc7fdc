"""The graph sources of the adapter, each split into train/val/test reproducibly (``split_seed``).

- ``qm9_2d`` / ``qm9_3d``: QM9 from qm9pack (heavy-atom graphs with bond orders / all atoms with coordinates),
  split by record number so a molecule is in the same split in both forms (default 80/10/10);
- ``moses``: a seeded subset of ``n_graphs`` (default 20,000) molecules of the MOSES training file, split 80/10/10;
- ``smiles``: a list of SMILES with its own element vocabulary (from Python or a config);
- ``sbm``, ``planar`` (``n_graphs`` default 200, split 128/32/40 as in SPECTRE and DiGress) and ``grid``
  (default 100 graphs, same fractions): unattributed graphs from networkx generators seeded with ``split_seed``.
Invalid records are skipped and counted (``SourceData.report``); unsupported elements stop the load up front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from sciddiff.domains.graphs.datasets import (
    MOSES_HEAVY,
    QM9_ATOMS,
    QM9_HEAVY,
    PackedGraphs,
    bond_vocabulary,
    graph_to_data,
    grid_graphs,
    load_moses,
    load_qm9,
    planar_graphs,
    sbm_graphs,
    smiles_to_graphs,
    split_indices,
)

SOURCES = ("qm9_2d", "qm9_3d", "moses", "smiles", "sbm", "planar", "grid")
SYNTHETIC = {"sbm": (sbm_graphs, 200), "planar": (planar_graphs, 200), "grid": (grid_graphs, 100)}
SPECTRE_FRACTIONS = (0.64, 0.16, 0.2)
MOLECULE_FRACTIONS = (0.8, 0.1, 0.1)


@dataclass
class SourceData:
    """Split graphs and what they hold: node vocabulary, edge classes (empty for 3-D molecules), coordinates."""

    splits: dict[str, PackedGraphs]
    node_vocab: tuple[str, ...]
    edge_vocab: tuple[str, ...]
    positions: bool
    molecule: bool
    report: dict[str, Any] | None = None


def _split(data: PackedGraphs, fractions: Sequence[float], seed: int) -> dict[str, PackedGraphs]:
    parts = split_indices(len(data), fractions, seed)
    return {k: data.subset(v) for k, v in parts.items()}


def load_source(
    source: str,
    split_seed: int = 0,
    fractions: Sequence[float] | None = None,
    kekulize: bool = True,
    n_graphs: int | None = None,
    smiles: Sequence[str] | None = None,
    atom_vocab: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
    moses_source: str | None = None,
    cache: str | None = None,
) -> SourceData:
    """The splits of ``source`` (see the module docstring for the options each source reads)."""
    if source not in SOURCES:
        raise ValueError(f"unknown graph source {source!r}; choose one of {SOURCES}")
    bonds = tuple(bond_vocabulary(kekulize))
    if source in ("qm9_2d", "qm9_3d"):
        form = source[-2:]
        fr = tuple(fractions or MOLECULE_FRACTIONS)
        paths = [Path(f) for f in files] if files else None
        splits = {s: load_qm9(form, s, split_seed, fr, kekulize, paths, cache) for s in ("train", "val", "test")}
        report = splits["train"].meta.get("report")
        if form == "3d":
            return SourceData(splits, QM9_ATOMS, (), True, True, report)
        return SourceData(splits, QM9_HEAVY, bonds, False, True, report)
    if source == "moses":
        data = load_moses(
            "train",
            n=20_000 if n_graphs is None else n_graphs,
            seed=split_seed,
            kekulize=kekulize,
            source=moses_source,
            cache=cache,
        )
        return SourceData(
            _split(data, fractions or MOLECULE_FRACTIONS, split_seed),
            MOSES_HEAVY,
            bonds,
            False,
            True,
            data.meta.get("report"),
        )
    if source == "smiles":
        if not smiles or not atom_vocab:
            raise ValueError("source 'smiles' needs the options smiles (a list of SMILES) and atom_vocab (elements)")
        graphs, report = smiles_to_graphs(list(smiles), list(atom_vocab), kekulize, "SMILES list")
        if not graphs:
            raise ValueError(f"no usable molecule among the {len(smiles)} SMILES: {report}")
        for g in graphs:
            g.record = torch.tensor(g.record)
        meta = {"report": report.to_dict()}
        data = PackedGraphs.from_data_list(graphs, ("x", "charge"), ("edge_attr",), ("record",), ("smiles",), meta)
        return SourceData(
            _split(data, fractions or MOLECULE_FRACTIONS, split_seed),
            tuple(atom_vocab),
            bonds,
            False,
            True,
            report.to_dict(),
        )
    make, default_n = SYNTHETIC[source]
    n = default_n if n_graphs is None else n_graphs
    if n < 3:
        raise ValueError(f"n_graphs must be >= 3 to fill train, val and test; got {n}")
    data = PackedGraphs.from_data_list([graph_to_data(g) for g in make(n, seed=split_seed)])
    return SourceData(
        _split(data, fractions or SPECTRE_FRACTIONS, split_seed), ("node",), ("none", "edge"), False, False
    )
