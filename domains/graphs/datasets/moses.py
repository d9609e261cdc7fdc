"""MOSES drug-like molecules (Polykovskiy et al., "Molecular Sets (MOSES): A Benchmarking Platform for Molecular
Generation Models", 2020, arXiv:1811.12823), read from the data files of the PyPI package ``molsets`` 0.3.1.

``molsets`` pins outdated dependencies (pomegranate==0.12.0, fcd-torch) and its ``moses`` package does not
import with current RDKit; it also ships a top-level ``tests`` package that would shadow this project's
``tests``. So it is never imported or installed with its dependencies: the gzipped CSVs are read straight
from the wheel (zip) that ``pip download molsets==0.3.1 --no-deps -d $SCIDDIFF_CACHE/packages`` fetches, or
from an unpacked copy or a ``pip install --no-deps molsets`` (located through importlib.metadata, not imported).
Splits: train (1,584,663 SMILES), test (176,074) and test_scaffolds (176,225); atoms C, N, S, O, F, Cl, Br.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import zipfile
from pathlib import Path

import pandas as pd
import torch
from sciddiff.domains.graphs.datasets.molecules import bond_vocabulary, smiles_to_graphs
from sciddiff.domains.graphs.datasets.packed import PackedGraphs
from sciddiff.domains.graphs.datasets.vocab import MOSES_HEAVY

from sciddiff.train.cache import cache_dir, load_plain, save_plain

MOSES_SPLITS = ("train", "test", "test_scaffolds")
_DATA = "moses/dataset/data"
_FORMAT_VERSION = 2


def molsets_source(source: str | Path | None = None) -> Path:
    """Where the MOSES files are: ``source`` (a molsets wheel, or a directory holding ``moses/dataset/data``),
    else an installed ``molsets`` distribution, else the newest ``molsets-*.whl`` in ``cache_dir()/packages``."""
    if source is not None:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"MOSES source {path} does not exist")
        return path
    try:
        root = Path(str(importlib.metadata.distribution("molsets").locate_file("")))
        if (root / _DATA).is_dir():
            return root
    except importlib.metadata.PackageNotFoundError:
        pass
    wheels = sorted((cache_dir() / "packages").glob("molsets-*.whl"))
    if not wheels:
        raise FileNotFoundError(
            "MOSES data not found: run `pip download molsets==0.3.1 --no-deps -d "
            f"{cache_dir() / 'packages'}` (the wheel is read as a zip file; molsets is never imported)"
        )
    return wheels[-1]


def read_moses_smiles(split: str = "train", source: str | Path | None = None) -> list[str]:
    """All SMILES of a MOSES split, in file order, read from the wheel or directory without importing moses."""
    if split not in MOSES_SPLITS:
        raise ValueError(f"MOSES split must be one of {MOSES_SPLITS}; got {split!r}")
    path = molsets_source(source)
    member = f"{_DATA}/{split}.csv.gz"
    if path.is_dir():
        if not (path / member).is_file():
            raise FileNotFoundError(f"{path} has no {member}")
        table = pd.read_csv(path / member, compression="gzip")
    else:
        with zipfile.ZipFile(path) as wheel:
            if member not in wheel.namelist():
                raise FileNotFoundError(f"{path} has no {member}")
            with wheel.open(member) as f:
                table = pd.read_csv(f, compression="gzip")
    if "SMILES" not in table.columns:
        raise ValueError(f"{member} in {path} has columns {list(table.columns)}; expected a SMILES column")
    return table["SMILES"].astype(str).tolist()


def load_moses(
    split: str = "train",
    n: int | None = 10_000,
    seed: int = 0,
    kekulize: bool = True,
    source: str | Path | None = None,
    cache: str | Path | None = None,
) -> PackedGraphs:
    """Heavy-atom graphs of a seeded random subset of ``n`` molecules of a MOSES split (all if ``n`` is None).

    Each graph's ``record`` is its row in the split's file; skipped records are in ``dataset.report``.
    """
    path = molsets_source(source)
    key = hashlib.sha256(f"{path.resolve()}:{path.stat().st_size}".encode()).hexdigest()[:12]
    tag = f"moses_{split}_{n}_{seed}{'_kekule' if kekulize else ''}_v{_FORMAT_VERSION}_{key}.pt"
    cached = cache_dir(cache) / tag
    if cached.is_file():
        return PackedGraphs.from_dict(load_plain(cached))
    smiles = read_moses_smiles(split, path)
    if n is not None and not 0 < n <= len(smiles):
        raise ValueError(f"n must lie in [1, {len(smiles)}] for MOSES {split}; got {n}")
    rows = (
        torch.arange(len(smiles))
        if n is None
        else torch.randperm(len(smiles), generator=torch.Generator().manual_seed(seed))[:n].sort().values
    )
    records = rows.tolist()
    graphs, report = smiles_to_graphs([smiles[r] for r in records], MOSES_HEAVY, kekulize, f"MOSES {split}", records)
    for g in graphs:
        g.record = torch.tensor(g.record)
    meta = {
        "atom_vocab": list(MOSES_HEAVY),
        "bond_vocab": list(bond_vocabulary(kekulize)),
        "report": report.to_dict(),
        "split": split,
        "seed": seed,
        "n_records": len(smiles),
    }
    data = PackedGraphs.from_data_list(graphs, ("x", "charge"), ("edge_attr",), ("record",), ("smiles",), meta)
    save_plain(data.to_dict(), cached)
    return data
