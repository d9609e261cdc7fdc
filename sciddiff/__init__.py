"""sciddiff: a domain-agnostic diffusion framework for scientific and sequential data."""

from sciddiff import analytic, calibration, denoisers, guidance, operators, processes, state
from sciddiff.guidance import posterior_sample
from sciddiff.solvers import SOLVERS, log_likelihood, optimize_grid, sample

__version__ = "0.1.0"

__all__ = [
    "SOLVERS",
    "__version__",
    "analytic",
    "calibration",
    "denoisers",
    "guidance",
    "log_likelihood",
    "operators",
    "optimize_grid",
    "posterior_sample",
    "processes",
    "sample",
    "state",
]
