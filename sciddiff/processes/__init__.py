"""Forward processes: Gaussian x_t = alpha(t) x0 + sigma(t) eps, categorical mixing processes, mixed states;
and their registries by name."""

from typing import Any

from sciddiff.processes.base import Process, as_time, compute_dtype
from sciddiff.processes.categorical_base import CategoricalProcess
from sciddiff.processes.categorical_masked import MaskedProcess
from sciddiff.processes.categorical_mixed import MixedProcess
from sciddiff.processes.categorical_sampling import gumbel, gumbel_argmax, sample_logits, sample_probs
from sciddiff.processes.categorical_schedules import (
    SCHEDULES,
    CosineSchedule,
    KeepSchedule,
    LinearSchedule,
    LogSNRSchedule,
    PolynomialSchedule,
    get_schedule,
)
from sciddiff.processes.categorical_uniform import MarginalProcess, UniformProcess
from sciddiff.processes.edm import EDM
from sciddiff.processes.flow import Flow
from sciddiff.processes.interpolant import Interpolant
from sciddiff.processes.ve import VE
from sciddiff.processes.vp import VP
from sciddiff.processes.vp_cosine import VPCosine

PROCESSES: dict[str, type[Process]] = {"vp": VP, "vp_cosine": VPCosine, "ve": VE, "edm": EDM, "flow": Flow}
CATEGORICAL_PROCESSES: dict[str, type] = {
    "masked": MaskedProcess,
    "uniform": UniformProcess,
    "marginal": MarginalProcess,
    "mixed": MixedProcess,
}


def get_process(name: str, **kwargs: Any) -> Any:
    """Build a registered process by name, e.g. ``get_process("edm", sigma_max=40)``,
    ``get_process("masked", num_classes=4, schedule="cosine")`` or
    ``get_process("mixed", continuous={"name": "vp"}, categorical={"types": {"name": "masked", ...}})``."""
    table = PROCESSES if name in PROCESSES else CATEGORICAL_PROCESSES
    if name not in table:
        raise ValueError(f"unknown process {name!r}; choose one of {sorted(PROCESSES) + sorted(CATEGORICAL_PROCESSES)}")
    return table[name](**kwargs)


__all__ = [
    "CATEGORICAL_PROCESSES",
    "EDM",
    "PROCESSES",
    "SCHEDULES",
    "VE",
    "VP",
    "CategoricalProcess",
    "CosineSchedule",
    "Flow",
    "Interpolant",
    "KeepSchedule",
    "LinearSchedule",
    "LogSNRSchedule",
    "MarginalProcess",
    "MaskedProcess",
    "MixedProcess",
    "PolynomialSchedule",
    "Process",
    "UniformProcess",
    "VPCosine",
    "as_time",
    "compute_dtype",
    "get_process",
    "get_schedule",
    "gumbel",
    "gumbel_argmax",
    "sample_logits",
    "sample_probs",
]
