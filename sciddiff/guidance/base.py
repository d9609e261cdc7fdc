"""What every guidance method declares, and the two kinds of method.

A method declares what it needs from the operator ("forward" evaluations only, "differentiable" for VJPs,
"linear" for an exact adjoint, "svd" for the singular value decomposition), whether it differentiates the
denoiser, the noise models it supports, and its coupling across samples ("independent", "ensemble",
"particles"). ``posterior_sample`` refuses a mismatch before computing anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.guidance.loop import Loop
from sciddiff.processes import Process

OPERATOR_LEVELS = ("forward", "differentiable", "linear", "svd")
NOISE_KINDS = ("scalar", "diagonal", "lowrank", "full", "poisson")


@dataclass(frozen=True)
class Requirements:
    """Declared needs and support of a guidance method."""

    operator: str = "forward"
    denoiser_jacobian: bool = False
    noise: tuple[str, ...] = NOISE_KINDS
    coupling: str = "independent"
    kinds: tuple[str, ...] = ("continuous",)
    zero_noise: bool = False  # accepts noise_std = 0 (exact data)

    def describe(self) -> str:
        jac = "the denoiser's Jacobian, " if self.denoiser_jacobian else ""
        return f"needs {jac}a {self.operator} operator; noise {list(self.noise)}; coupling {self.coupling}"


class Method(ABC):
    """Base of all guidance methods: a name, requirements and a default number of steps."""

    name: ClassVar[str]
    requirements: ClassVar[Requirements]


class DenoiserTransform(Method):
    """Builds a guided denoiser (x_t, t) -> E[x0 | x_t, y] that any solver can integrate."""

    default_solver: ClassVar[str] = "ddpm"

    @abstractmethod
    def guided(self, denoiser: Any, process: Process, observation: Any, cost: Cost) -> Any:
        """The guided denoiser for one observation."""


class PosteriorSampler(Method):
    """Owns its sampling loop."""

    @abstractmethod
    def run(self, loop: Loop) -> tuple[Tensor, dict[str, Any]]:
        """Posterior samples from ``loop.x`` at the first grid time, and diagnostics (e.g. an ESS trace)."""
