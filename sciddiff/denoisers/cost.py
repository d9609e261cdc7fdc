"""Cost accounting by wrappers: every method reports NFE, VJPs, JVPs and operator calls the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Cost:
    """Counts of batched calls: denoiser evaluations, vector-Jacobian and Jacobian-vector products, operator calls."""

    nfe: int = 0
    vjp: int = 0
    jvp: int = 0
    operator_calls: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"nfe": self.nfe, "vjp": self.vjp, "jvp": self.jvp, "operator_calls": self.operator_calls}


class CountingDenoiser:
    """Wraps a denoiser and adds one NFE to ``cost`` per (batched) call."""

    def __init__(self, denoiser: Any, cost: Cost | None = None) -> None:
        self.denoiser = denoiser
        self.cost = cost if cost is not None else Cost()

    def __call__(self, x_t: Any, t: Any, **cond: Any) -> Any:
        self.cost.nfe += 1
        return self.denoiser(x_t, t, **cond)
