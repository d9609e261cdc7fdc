"""Images and physical fields on grids: simulators, offline datasets, metrics, a digit classifier, classical
reconstruction baselines for imaging and sensing inverse problems, and the ``fields`` adapter."""

from sciddiff.domains.fields.adapter import FieldsAdapter

__all__ = ["FieldsAdapter"]
