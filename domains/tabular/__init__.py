"""Tabular data (a CSV file, a pandas DataFrame, or a built-in mixture): the worked "add your own adapter" example."""

from sciddiff.domains.tabular.adapter import TabularAdapter

__all__ = ["TabularAdapter"]
