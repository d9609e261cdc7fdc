"""Solvers by name."""

from __future__ import annotations

from typing import Any

from sciddiff.solvers.base import Solver
from sciddiff.solvers.ddim import DDIM, DDPM
from sciddiff.solvers.dpmpp import DPMSolver2M, DPMSolver3M
from sciddiff.solvers.dpmpp_sde import DPMSolver2MSDE
from sciddiff.solvers.karras import Euler, Heun
from sciddiff.solvers.rk45 import RK45
from sciddiff.solvers.sde import EulerMaruyama, PredictorCorrector
from sciddiff.solvers.unipc import UniPC

SOLVERS: dict[str, type[Solver]] = {
    cls.name: cls
    for cls in (
        DDPM,
        DDIM,
        Euler,
        Heun,
        DPMSolver2M,
        DPMSolver3M,
        DPMSolver2MSDE,
        UniPC,
        EulerMaruyama,
        PredictorCorrector,
        RK45,
    )
}


def get_solver(name: str | Solver, **options: Any) -> Solver:
    """A solver instance from its registered name and options (or an instance, returned as is)."""
    if isinstance(name, Solver):
        if options:
            raise ValueError(f"options {sorted(options)} given together with a solver instance; set them on it")
        return name
    if name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; choose one of {sorted(SOLVERS)}")
    try:
        return SOLVERS[name](**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for solver {name!r}: {err}") from None
