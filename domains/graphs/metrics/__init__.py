"""Metrics for generated molecules and graphs."""

from sciddiff.domains.graphs.metrics.mmd import (
    clustering_mmd,
    degree_mmd,
    graph_mmds,
    mmd2,
    spectral_mmd,
)
from sciddiff.domains.graphs.metrics.molecular import (
    MoleculeMetrics,
    TrainingSet,
    canonical_smiles,
    molecule_metrics,
    training_set,
)
from sciddiff.domains.graphs.metrics.properties import logp, qed, sa_score
from sciddiff.domains.graphs.metrics.stability import Stability, bond_orders, dataset_stability, stability
from sciddiff.domains.graphs.metrics.structure import (
    fraction_valid,
    is_planar_valid,
    is_sbm_valid,
    recover_blocks,
    sbm_wald_pvalue,
)

__all__ = [
    "MoleculeMetrics",
    "Stability",
    "TrainingSet",
    "bond_orders",
    "canonical_smiles",
    "clustering_mmd",
    "dataset_stability",
    "degree_mmd",
    "fraction_valid",
    "graph_mmds",
    "is_planar_valid",
    "is_sbm_valid",
    "logp",
    "mmd2",
    "molecule_metrics",
    "qed",
    "recover_blocks",
    "sa_score",
    "sbm_wald_pvalue",
    "spectral_mmd",
    "stability",
    "training_set",
]
