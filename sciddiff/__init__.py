"""sciddiff: a domain-agnostic diffusion framework for scientific and sequential data."""

from sciddiff import analytic, denoisers, processes, state
from sciddiff.solvers import SOLVERS, sample

__version__ = "0.1.0"

__all__ = ["SOLVERS", "__version__", "analytic", "denoisers", "processes", "sample", "state"]
