"""Sample metrics of decoded graphs: molecules (validity, uniqueness, novelty; EDM stability for 3-D), generic
graphs (degree/clustering/spectrum MMD^2 against the reference, SBM or planar validity), and properties of
generated molecules for property-conditional generation."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from sciddiff.domains.graphs.chem import graph_molecule, sanitized
from sciddiff.domains.graphs.conditions import RDKIT_PROPERTIES, molecule_property
from sciddiff.domains.graphs.datasets import data_to_graph
from sciddiff.domains.graphs.layout import GraphLayout
from sciddiff.domains.graphs.metrics import (
    TrainingSet,
    dataset_stability,
    fraction_valid,
    graph_mmds,
    molecule_metrics,
)
from torch import Tensor
from torch_geometric.data import Data

STRUCTURE = {"sbm": "sbm", "planar": "planar"}


def molecule_scores(
    samples: Sequence[Data], layout: GraphLayout, train: TrainingSet | Sequence[str] | None
) -> dict[str, float]:
    """Validity, uniqueness and (with ``train``) novelty; plus atom and molecule stability for 3-D molecules."""
    scores = molecule_metrics([graph_molecule(g, layout) for g in samples], train)
    out = {"validity": scores.validity, "uniqueness": scores.uniqueness, "n_generated": float(scores.n_generated)}
    if scores.novelty is not None:
        out["novelty"] = scores.novelty
    if layout.positions:
        stab = dataset_stability(list(samples), atom_vocab=layout.node_vocab)
        out["atom_stability"], out["molecule_stability"] = stab.atom_stability, stab.molecule_stability
    return out


def graph_scores(samples: Sequence[Data], reference: Sequence[Data], source: str) -> dict[str, float]:
    """MMD^2 of degree, clustering and spectrum histograms (SPECTRE settings), and structural validity."""
    gen, ref = [data_to_graph(g) for g in samples], [data_to_graph(g) for g in reference]
    out = graph_mmds(ref, gen)
    if source in STRUCTURE:
        out["validity"] = fraction_valid(gen, STRUCTURE[source])
    return out


def graph_metrics(
    samples: Sequence[Data],
    reference: Sequence[Data],
    layout: GraphLayout,
    source: str,
    train: TrainingSet | Sequence[str] | None = None,
) -> dict[str, float]:
    """The metrics of the adapter: molecule scores for molecules, graph scores otherwise."""
    if not samples:
        raise ValueError("no samples to score")
    if layout.molecule:
        return molecule_scores(samples, layout, train)
    return graph_scores(samples, reference, source)


def sample_properties(samples: Sequence[Data], layout: GraphLayout, names: Sequence[str]) -> Tensor:
    """(B, k) RDKit properties of generated molecules (NaN where a molecule is invalid)."""
    unknown = [n for n in names if n not in RDKIT_PROPERTIES]
    if unknown:
        raise ValueError(f"only RDKit properties {sorted(RDKIT_PROPERTIES)} can be measured on samples; got {unknown}")
    out = torch.full((len(samples), len(names)), float("nan"), dtype=torch.float64)
    for i, g in enumerate(samples):
        mol = sanitized(graph_molecule(g, layout))
        if mol is not None:
            out[i] = torch.tensor([molecule_property(mol, n) for n in names], dtype=torch.float64)
    return out
