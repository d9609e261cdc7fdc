"""QM9 (Ramakrishnan et al., "Quantum chemistry structures and properties of 134 kilo molecules", 2014,
Scientific Data 1:140022), read offline from the files shipped in the PyPI package ``qm9pack`` (1.0.3, MIT,
by R. Ramakrishnan): 130,831 molecules (the 133,885 of QM9 less the 3,054 that failed the consistency check,
the set EDM and DiGress use), with B3LYP/6-31G(2df,p) geometries in Angstrom, GDB SMILES and properties.

Two forms, both split by record number with the same seed, so a molecule falls in the same split in both:
- ``"2d"``: heavy-atom graphs from the SMILES (atoms C, N, O, F; bonds see ``molecules.bond_vocabulary``),
  with formal charges in ``charge`` (580 molecules are zwitterions);
- ``"3d"``: all atoms H, C, N, O, F with coordinates ``pos`` (Angstrom, as shipped, not centred) and no edges.
Processed tensors are cached with ``torch.save`` and read back with ``weights_only=True``.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sciddiff.domains.graphs.datasets.molecules import bond_vocabulary, smiles_to_graphs
from sciddiff.domains.graphs.datasets.packed import PackedGraphs
from sciddiff.domains.graphs.datasets.report import SkipReport
from sciddiff.domains.graphs.datasets.splits import check_split, split_indices
from sciddiff.domains.graphs.datasets.vocab import QM9_ATOMS, QM9_HEAVY, check_vocabulary
from torch_geometric.data import Data

from sciddiff.train.cache import cache_dir, load_plain, save_plain

# property name (with unit) -> column of the qm9pack CSV files
QM9_PROPERTIES: dict[str, str] = {
    "mu_D": "Dipole_debye",
    "alpha_bohr3": "Polarizability_bohr3",
    "homo_Ha": "HOMO_au",
    "lumo_Ha": "LUMO_au",
    "gap_Ha": "HOMO_LUMO_gap_au",
    "cv_cal_mol_K": "Heatcapacity_Cv_cal_mol_K",
}
_COLUMNS = ["Index", "SMILES", "Elements", "XYZ_Ang", *QM9_PROPERTIES.values()]
_FORMAT_VERSION = 2


def qm9_files() -> list[Path]:
    """The CSV files inside the installed ``qm9pack`` package (found without importing it)."""
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "QM9 is read from the PyPI package qm9pack, which is not installed; run `pip install qm9pack==1.0.3`"
        )
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    files = [data / f"qm9_part{k}.csv" for k in (1, 2, 3)]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"qm9pack is installed but lacks its data files {missing}")
    return files


def read_qm9_table(files: Sequence[Path]) -> pd.DataFrame:
    """The QM9 records of the given CSV files (qm9pack's column layout), in file order."""
    for f in files:
        if not Path(f).is_file():
            raise FileNotFoundError(f"QM9 file {f} does not exist")
    table = pd.concat([pd.read_csv(f, usecols=_COLUMNS) for f in files], ignore_index=True)
    return table


def _elements(cell: str) -> list[str]:
    return [e.strip().strip("'\"") for e in str(cell).strip("[]").split(",") if e.strip()]


def _coordinates(cell: str, n_atoms: int) -> np.ndarray:
    """(n, 3) float64 coordinates from "[[x,y,z],...]"; ``ValueError`` if unreadable or of the wrong size."""
    values = np.array(str(cell).replace("[", " ").replace("]", " ").replace(",", " ").split(), dtype=np.float64)
    if values.size != 3 * n_atoms:
        raise ValueError(f"{values.size} coordinates for {n_atoms} atoms")
    if not np.isfinite(values).all():
        raise ValueError("non-finite coordinates")
    return values.reshape(n_atoms, 3)


def _properties(table: pd.DataFrame) -> torch.Tensor:
    return torch.tensor(table[list(QM9_PROPERTIES.values())].to_numpy(dtype=np.float64))


def build_qm9_3d(table: pd.DataFrame, source: str) -> PackedGraphs:
    """All-atom 3-D molecules; the element check over every record runs before any is processed."""
    elements = [_elements(c) for c in table["Elements"]]
    check_vocabulary(elements, QM9_ATOMS, source)
    index = {s: i for i, s in enumerate(QM9_ATOMS)}
    props = _properties(table)
    report = SkipReport(source, len(table))
    graphs = []
    for i, (els, xyz) in enumerate(zip(elements, table["XYZ_Ang"], strict=True)):
        try:
            pos = _coordinates(xyz, len(els))
        except ValueError as err:
            report.skip(i, f"QM9 index {int(table['Index'].iloc[i])}: {err}")
            continue
        if not els:
            report.skip(i, f"QM9 index {int(table['Index'].iloc[i])}: no atoms")
            continue
        graphs.append(
            Data(
                x=torch.tensor([index[e] for e in els], dtype=torch.int8),
                pos=torch.from_numpy(pos).float(),
                edge_index=torch.zeros(2, 0, dtype=torch.int32),
                num_nodes=len(els),
                y=props[i : i + 1],
                record=torch.tensor(i),
                qm9_index=torch.tensor(int(table["Index"].iloc[i])),
                smiles=str(table["SMILES"].iloc[i]),
            )
        )
    meta = {"atom_vocab": list(QM9_ATOMS), "properties": list(QM9_PROPERTIES), "report": report.to_dict()}
    return PackedGraphs.from_data_list(graphs, ("x", "pos"), (), ("y", "record", "qm9_index"), ("smiles",), meta)


def build_qm9_2d(table: pd.DataFrame, source: str, kekulize: bool = True) -> PackedGraphs:
    """Heavy-atom graphs with bond orders from the SMILES (element check first, then parsing with skips)."""
    graphs, report = smiles_to_graphs(list(table["SMILES"].astype(str)), QM9_HEAVY, kekulize, source)
    props = _properties(table)
    for g in graphs:
        g.x, g.charge = g.x.to(torch.int8), g.charge.to(torch.int8)
        g.edge_index, g.edge_attr = g.edge_index.to(torch.int32), g.edge_attr.to(torch.int8)
        g.y = props[g.record : g.record + 1]
        g.qm9_index = torch.tensor(int(table["Index"].iloc[g.record]))
        g.record = torch.tensor(g.record)
    meta = {
        "atom_vocab": list(QM9_HEAVY),
        "bond_vocab": list(bond_vocabulary(kekulize)),
        "properties": list(QM9_PROPERTIES),
        "report": report.to_dict(),
    }
    return PackedGraphs.from_data_list(
        graphs, ("x", "charge"), ("edge_attr",), ("y", "record", "qm9_index"), ("smiles",), meta
    )


def _fingerprint(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        st = Path(f).stat()
        h.update(f"{Path(f).resolve()}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def load_qm9(
    form: str = "3d",
    split: str | None = "train",
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    kekulize: bool = True,
    files: Sequence[Path] | None = None,
    cache: str | Path | None = None,
) -> PackedGraphs:
    """QM9 in ``form`` "2d" or "3d", restricted to ``split`` ("train", "val", "test", or None for all).

    The split partitions record numbers (rows of the source files) with :func:`split_indices`; records skipped
    while reading are left out of every split (see ``dataset.report``). ``files`` overrides the qm9pack files
    (same column layout). The processed form is cached under ``cache_dir(cache)``.
    """
    if form not in ("2d", "3d"):
        raise ValueError(f"form must be '2d' or '3d'; got {form!r}")
    check_split(split)
    files = [Path(f) for f in files] if files is not None else qm9_files()
    tag = f"qm9_{form}{'_kekule' if kekulize and form == '2d' else ''}_v{_FORMAT_VERSION}_{_fingerprint(files)}.pt"
    path = cache_dir(cache) / tag
    if path.is_file():
        data = PackedGraphs.from_dict(load_plain(path))
    else:
        table = read_qm9_table(files)
        source = "QM9 (" + ", ".join(f.name for f in files) + ")"
        data = build_qm9_3d(table, source) if form == "3d" else build_qm9_2d(table, source, kekulize)
        data.meta["n_records"] = len(table)
        save_plain(data.to_dict(), path)
    if split is None:
        return data
    chosen = split_indices(int(data.meta["n_records"]), fractions, seed)[split]
    keep = torch.isin(data.graph["record"].long(), chosen).nonzero().reshape(-1)
    out = data.subset(keep)
    out.meta.update(split=split, seed=seed, fractions=[float(f) for f in fractions])
    return out
