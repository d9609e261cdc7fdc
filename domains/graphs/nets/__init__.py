"""Denoiser backbones for graphs: an E(3)-equivariant EGNN and a dense graph transformer, and the direct
denoisers of graph states built on them."""

from sciddiff.domains.graphs.nets.conditioning import NoiseConditionEmbedding, SinusoidalEmbedding
from sciddiff.domains.graphs.nets.denoisers import GraphDenoiser, MoleculeDenoiser
from sciddiff.domains.graphs.nets.egnn import EGNN, EquivariantLayer
from sciddiff.domains.graphs.nets.graph_transformer import GraphTransformer, GraphTransformerLayer

__all__ = [
    "EGNN",
    "EquivariantLayer",
    "GraphDenoiser",
    "GraphTransformer",
    "GraphTransformerLayer",
    "MoleculeDenoiser",
    "NoiseConditionEmbedding",
    "SinusoidalEmbedding",
]
