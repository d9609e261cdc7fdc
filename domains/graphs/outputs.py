"""Native outputs of generated graphs: ``graphs.pt`` (torch.save of plain tensors, one dict per graph, loadable with
``weights_only=True``), and for molecules ``samples.smi`` (canonical SMILES, empty where invalid) and
``samples.sdf`` (generated 3-D coordinates, or a 2-D depiction); a grid figure of molecule drawings (RDKit Draw)
or of graph drawings; and the netCDF view of a batch. Files are never overwritten (opened with mode "x")."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import torch
import xarray as xr
from rdkit import Chem, rdBase
from rdkit.Chem import Draw, rdDepictor
from sciddiff.domains.graphs.chem import graph_molecule, sanitized
from sciddiff.domains.graphs.datasets import data_to_graph
from sciddiff.domains.graphs.layout import GraphLayout
from sciddiff.domains.graphs.metrics import canonical_smiles
from torch_geometric.data import Data

from sciddiff.train.outputs import netcdf_attrs

PLAIN_KEYS = ("x", "edge_index", "edge_attr", "pos", "charge", "atomic_number")


def plain_graphs(graphs: Sequence[Data]) -> list[dict[str, torch.Tensor]]:
    """Each graph as a dict of plain tensors (``num_nodes`` as a 0-d tensor)."""
    out = []
    for g in graphs:
        d = {k: g[k].detach().cpu() for k in PLAIN_KEYS if getattr(g, k, None) is not None}
        d["num_nodes"] = torch.tensor(int(g.num_nodes))
        out.append(d)
    return out


def graphs_from_plain(items: Sequence[Mapping[str, torch.Tensor]]) -> list[Data]:
    """Inverse of :func:`plain_graphs`."""
    return [Data(**{k: (int(v) if k == "num_nodes" else v) for k, v in d.items()}) for d in items]


def _new(path: Path) -> Any:
    if path.exists():
        raise ValueError(f"{path} already exists; sciddiff never overwrites outputs (choose another directory)")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("xb" if path.suffix == ".pt" else "x")


def molecule_records(graphs: Sequence[Data], layout: GraphLayout) -> list[tuple[Chem.Mol, str | None]]:
    """(molecule, canonical SMILES of its largest fragment or None) per graph."""
    mols = [graph_molecule(g, layout) for g in graphs]
    return [(m, canonical_smiles(m)) for m in mols]


def _mol_block(mol: Chem.Mol, index: int, smiles: str | None) -> str:
    out = sanitized(mol) or Chem.Mol(mol)
    out.UpdatePropertyCache(strict=False)
    if out.GetNumConformers() == 0:
        rdDepictor.Compute2DCoords(out)
    out.SetProp("_Name", f"sample_{index}")
    out.SetProp("smiles", smiles or "")
    out.SetProp("valid", "1" if smiles else "0")
    props = "".join(f">  <{k}>\n{out.GetProp(k)}\n\n" for k in ("smiles", "valid"))
    return Chem.MolToMolBlock(out, kekulize=False) + props + "$$$$\n"


def write_graphs(graphs: Sequence[Data], layout: GraphLayout, directory: Path) -> list[Path]:
    """graphs.pt, and for molecules samples.smi and samples.sdf, in ``directory``."""
    files = [Path(directory) / "graphs.pt"]
    with _new(files[0]) as f:
        torch.save(plain_graphs(graphs), f)
    if not layout.molecule:
        return files
    records = molecule_records(graphs, layout)
    smi, sdf = Path(directory) / "samples.smi", Path(directory) / "samples.sdf"
    with _new(smi) as f:
        f.write("".join(f"{s or ''}\n" for _, s in records))
    with rdBase.BlockLogs(), _new(sdf) as f:
        for i, (mol, s) in enumerate(records):
            f.write(_mol_block(mol, i, s))
    return [*files, smi, sdf]


def plot_graphs(graphs: Sequence[Data], layout: GraphLayout, path: Path, max_items: int = 24) -> Path:
    """A grid of the first ``max_items`` graphs: RDKit drawings (hydrogens hidden) with SMILES legends for
    molecules, spring layouts for generic graphs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = list(graphs)[:max_items]
    if layout.molecule:
        mols, legends = [], []
        with rdBase.BlockLogs():
            for _, s in molecule_records(items, layout):
                shown = Chem.MolFromSmiles(s) if s else None
                mols.append(shown if shown is not None else Chem.Mol())
                legends.append(s if s and len(s) <= 40 else (s[:37] + "..." if s else "invalid"))
        Draw.MolsToGridImage(mols, molsPerRow=6, subImgSize=(220, 180), legends=legends).save(path)
        return path
    cols = min(6, len(items))
    rows = math.ceil(len(items) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, g in zip(axes.ravel(), items, strict=False):
        graph = data_to_graph(g)
        nx.draw(graph, nx.spring_layout(graph, seed=0), ax=ax, node_size=8, width=0.4, node_color="tab:blue")
        ax.set_title(f"n={graph.number_of_nodes()}, m={graph.number_of_edges()}", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def graphs_dataset(graphs: Sequence[Data], layout: GraphLayout, attrs: Mapping[str, Any]) -> xr.Dataset:
    """Padded arrays with a ``sample`` dimension: node types (-1 = no node), edge classes, coordinates (Angstrom)."""
    n, b = layout.max_nodes, len(graphs)
    types = np.full((b, n), -1, dtype=np.int64)
    counts = np.zeros(b, dtype=np.int64)
    data: dict[str, Any] = {}
    edges = np.zeros((b, n, n), dtype=np.int64) if layout.has_edges else None
    pos = np.zeros((b, n, 3)) if layout.positions else None
    for i, g in enumerate(graphs):
        k = int(g.num_nodes)
        counts[i], types[i, :k] = k, g.x.numpy()
        if edges is not None and g.edge_index.numel():
            edges[i, g.edge_index[0].numpy(), g.edge_index[1].numpy()] = g.edge_attr.numpy()
        if pos is not None:
            pos[i, :k] = g.pos.double().numpy()
    data["node_type"] = (("sample", "node"), types)
    data["n_nodes"] = (("sample",), counts)
    if edges is not None:
        data["edge_type"] = (("sample", "node", "node_j"), edges)
    if pos is not None:
        data["pos"] = (("sample", "node", "xyz"), pos, {"units": "angstrom"})
    meta = {**attrs, "node_vocab": " ".join(layout.node_vocab), "edge_vocab": " ".join(layout.edge_vocab)}
    coords = {"xyz": ["x", "y", "z"]} if pos is not None else {}
    return xr.Dataset(data, coords=coords, attrs=netcdf_attrs(meta))
