"""Graphs and molecules: data (QM9, MOSES, synthetic graphs), metrics and equivariant networks."""
