"""Solvers behind one entry point, ``sample``; grids; the flat model; likelihood."""

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.grids import GRIDS, Karras, build_grid, uniform_logsnr, uniform_t
from sciddiff.solvers.registry import SOLVERS, get_solver
from sciddiff.solvers.sample import SampleInfo, sample
from sciddiff.solvers.schedule import Schedule

__all__ = [
    "GRIDS",
    "SOLVERS",
    "Context",
    "Karras",
    "SampleInfo",
    "Schedule",
    "Solver",
    "build_grid",
    "get_solver",
    "sample",
    "uniform_logsnr",
    "uniform_t",
]
