"""Denoiser backbones for graphs: an E(3)-equivariant EGNN and a dense graph transformer."""

from sciddiff.domains.graphs.nets.conditioning import NoiseConditionEmbedding, SinusoidalEmbedding
from sciddiff.domains.graphs.nets.egnn import EGNN, EquivariantLayer
from sciddiff.domains.graphs.nets.graph_transformer import GraphTransformer, GraphTransformerLayer

__all__ = [
    "EGNN",
    "EquivariantLayer",
    "GraphTransformer",
    "GraphTransformerLayer",
    "NoiseConditionEmbedding",
    "SinusoidalEmbedding",
]
