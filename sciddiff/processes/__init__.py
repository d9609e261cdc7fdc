"""Forward processes x_t = alpha(t) x0 + sigma(t) eps, and their registry by name."""

from sciddiff.processes.base import Process, as_time, compute_dtype
from sciddiff.processes.edm import EDM
from sciddiff.processes.flow import Flow
from sciddiff.processes.interpolant import Interpolant
from sciddiff.processes.ve import VE
from sciddiff.processes.vp import VP
from sciddiff.processes.vp_cosine import VPCosine

PROCESSES: dict[str, type[Process]] = {"vp": VP, "vp_cosine": VPCosine, "ve": VE, "edm": EDM, "flow": Flow}


def get_process(name: str, **kwargs: float) -> Process:
    """Build a registered process by name, e.g. ``get_process("edm", sigma_max=40)``."""
    if name not in PROCESSES:
        raise ValueError(f"unknown process {name!r}; choose one of {sorted(PROCESSES)}")
    return PROCESSES[name](**kwargs)


__all__ = [
    "EDM",
    "PROCESSES",
    "VE",
    "VP",
    "Flow",
    "Interpolant",
    "Process",
    "VPCosine",
    "as_time",
    "compute_dtype",
    "get_process",
]
