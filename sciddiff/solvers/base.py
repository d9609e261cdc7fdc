"""Solver base class and the context every solver runs in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor
from tqdm.auto import tqdm

from sciddiff.solvers.model import FlatModel
from sciddiff.solvers.schedule import Schedule


@dataclass
class Context:
    """What a solver sees: the flat model, the coefficient table, a noise source and the working dtype."""

    model: FlatModel
    sched: Schedule
    noise: Callable[[], Tensor]
    dtype: torch.dtype
    progress: bool = False

    def __post_init__(self) -> None:
        self.t_work = self.sched.t.to(self.dtype)  # (N+1, B|1): times handed to the denoiser

    def steps(self, desc: str) -> Iterable[int]:
        n = self.sched.steps
        return tqdm(range(n), desc=desc, leave=False) if self.progress else range(n)

    def denoise(self, z: Tensor, i: int) -> Tensor:
        """D(z, t_i) at grid point i."""
        return self.model(z, self.t_work[i], step=i)


class Solver(ABC):
    """A sampling rule for the reverse process on the flat state (B, D).

    ``order`` is the global order of convergence for deterministic solvers and the weak order for stochastic
    ones. :meth:`nfe` gives the evaluations made while integrating (the entry point's final denoise adds one).
    """

    name: ClassVar[str]
    stochastic: ClassVar[bool] = False
    order: ClassVar[int]

    @abstractmethod
    def nfe(self, steps: int) -> int | None:
        """Denoiser evaluations for ``steps`` grid intervals (None when adaptive)."""

    @abstractmethod
    def run(self, ctx: Context, z: Tensor) -> Tensor:
        """Integrate from grid point 0 to grid point N and return the state there."""
