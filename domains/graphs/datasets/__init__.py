"""Graph and molecule data: QM9 (qm9pack), MOSES (molsets files), synthetic graphs, Data <-> dense batches."""

from sciddiff.domains.graphs.datasets.dense import DenseGraphBatch, from_dense, one_hot_features, to_dense
from sciddiff.domains.graphs.datasets.molecules import (
    bond_vocabulary,
    data_to_mol,
    graph_to_mol,
    mol_to_graph,
    smiles_to_graphs,
)
from sciddiff.domains.graphs.datasets.moses import MOSES_SPLITS, load_moses, molsets_source, read_moses_smiles
from sciddiff.domains.graphs.datasets.packed import PackedGraphs
from sciddiff.domains.graphs.datasets.qm9 import QM9_PROPERTIES, load_qm9, qm9_files
from sciddiff.domains.graphs.datasets.report import SkipReport
from sciddiff.domains.graphs.datasets.splits import split_indices
from sciddiff.domains.graphs.datasets.synthetic import (
    data_to_graph,
    graph_to_data,
    grid_graphs,
    planar_graphs,
    sbm_graphs,
)
from sciddiff.domains.graphs.datasets.vocab import MOSES_HEAVY, QM9_ATOMS, QM9_HEAVY, check_vocabulary, smiles_elements

from sciddiff.train.cache import cache_dir

__all__ = [
    "MOSES_HEAVY",
    "MOSES_SPLITS",
    "QM9_ATOMS",
    "QM9_HEAVY",
    "QM9_PROPERTIES",
    "DenseGraphBatch",
    "PackedGraphs",
    "SkipReport",
    "bond_vocabulary",
    "cache_dir",
    "check_vocabulary",
    "data_to_graph",
    "data_to_mol",
    "from_dense",
    "graph_to_data",
    "graph_to_mol",
    "grid_graphs",
    "load_moses",
    "load_qm9",
    "mol_to_graph",
    "molsets_source",
    "one_hot_features",
    "planar_graphs",
    "qm9_files",
    "read_moses_smiles",
    "sbm_graphs",
    "smiles_elements",
    "smiles_to_graphs",
    "split_indices",
    "to_dense",
]
