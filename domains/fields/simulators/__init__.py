"""Seeded generators of gridded data as xarray: random phantoms, Darcy flow and 2-D Navier-Stokes vorticity."""

from sciddiff.domains.fields.simulators.darcy import (
    darcy_dataset,
    darcy_matrix,
    load_darcy,
    project_darcy,
    solve_darcy,
    threshold_coefficient,
)
from sciddiff.domains.fields.simulators.grf import neumann_grf, periodic_grf
from sciddiff.domains.fields.simulators.navier_stokes import (
    NavierStokes2D,
    kolmogorov_forcing,
    load_navier_stokes,
    navier_stokes_dataset,
)
from sciddiff.domains.fields.simulators.phantoms import (
    SHEPP_LOGAN,
    Ellipse,
    ellipse_phantoms,
    jittered_shepp_logan,
    load_phantoms,
    random_ellipses,
    rasterize,
)

__all__ = [
    "SHEPP_LOGAN",
    "Ellipse",
    "NavierStokes2D",
    "darcy_dataset",
    "darcy_matrix",
    "ellipse_phantoms",
    "jittered_shepp_logan",
    "kolmogorov_forcing",
    "load_darcy",
    "load_navier_stokes",
    "load_phantoms",
    "navier_stokes_dataset",
    "neumann_grf",
    "periodic_grf",
    "project_darcy",
    "random_ellipses",
    "rasterize",
    "solve_darcy",
    "threshold_coefficient",
]
