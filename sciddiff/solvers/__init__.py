"""Solvers behind one entry point, ``sample``; grids; the flat model; likelihood; categorical samplers."""

from sciddiff.solvers.base import Context, Solver
from sciddiff.solvers.categorical_sample import check_on_grid, sample_categorical
from sciddiff.solvers.categorical_solvers import (
    CATEGORICAL_SOLVERS,
    Ancestral,
    CategoricalContext,
    CategoricalSolver,
    FirstHitting,
    get_categorical_solver,
)
from sciddiff.solvers.categorical_step import AncestralStepper, ancestral_step, clean_draw
from sciddiff.solvers.ddim import ddim_coefficients
from sciddiff.solvers.grids import GRIDS, Karras, build_grid, uniform_logsnr, uniform_t
from sciddiff.solvers.integrate import SampleInfo
from sciddiff.solvers.likelihood import LikelihoodInfo, log_likelihood
from sciddiff.solvers.optimize_grid import TunedGrid, optimize_grid
from sciddiff.solvers.registry import SOLVERS, get_solver
from sciddiff.solvers.sample import sample
from sciddiff.solvers.schedule import Schedule

__all__ = [
    "CATEGORICAL_SOLVERS",
    "GRIDS",
    "SOLVERS",
    "Ancestral",
    "AncestralStepper",
    "CategoricalContext",
    "CategoricalSolver",
    "Context",
    "FirstHitting",
    "Karras",
    "LikelihoodInfo",
    "SampleInfo",
    "Schedule",
    "Solver",
    "TunedGrid",
    "ancestral_step",
    "build_grid",
    "check_on_grid",
    "clean_draw",
    "ddim_coefficients",
    "get_categorical_solver",
    "get_solver",
    "log_likelihood",
    "optimize_grid",
    "sample",
    "sample_categorical",
    "uniform_logsnr",
    "uniform_t",
]
