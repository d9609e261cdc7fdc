"""Solvers behind one entry point, ``sample``; grids; the flat model; likelihood."""

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.ddim import ddim_coefficients
from sciddiff.solvers.grids import GRIDS, Karras, build_grid, uniform_logsnr, uniform_t
from sciddiff.solvers.integrate import SampleInfo
from sciddiff.solvers.likelihood import LikelihoodInfo, log_likelihood
from sciddiff.solvers.optimize_grid import TunedGrid, optimize_grid
from sciddiff.solvers.registry import SOLVERS, get_solver
from sciddiff.solvers.sample import sample
from sciddiff.solvers.schedule import Schedule

__all__ = [
    "GRIDS",
    "SOLVERS",
    "Context",
    "Karras",
    "LikelihoodInfo",
    "SampleInfo",
    "Schedule",
    "Solver",
    "TunedGrid",
    "build_grid",
    "ddim_coefficients",
    "get_solver",
    "log_likelihood",
    "optimize_grid",
    "sample",
    "uniform_logsnr",
    "uniform_t",
]
