"""sciddiff: a domain-agnostic diffusion framework for scientific and sequential data."""

from sciddiff import analytic, denoisers, processes, state
from sciddiff.solvers import SOLVERS, log_likelihood, optimize_grid, sample

__version__ = "0.1.0"

__all__ = [
    "SOLVERS",
    "__version__",
    "analytic",
    "denoisers",
    "log_likelihood",
    "optimize_grid",
    "processes",
    "sample",
    "state",
]
