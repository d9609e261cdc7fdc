"""Graphs and molecules: data (QM9, MOSES, synthetic graphs), metrics, equivariant networks, and the training
adapter :class:`GraphAdapter` with its tasks (unconditional, property-conditional and scaffold-completing
generation)."""

from sciddiff.domains.graphs.adapter import GraphAdapter

__all__ = ["GraphAdapter"]
