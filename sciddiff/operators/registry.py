"""Built-in operators by name, for configs and checkpoints."""

from __future__ import annotations

from typing import Any

from sciddiff.operators.aggregate import Aggregate
from sciddiff.operators.base import Operator
from sciddiff.operators.blur import Blur
from sciddiff.operators.downsample import Downsample
from sciddiff.operators.identity import Identity
from sciddiff.operators.mask import Mask
from sciddiff.operators.matrix import Matrix
from sciddiff.operators.partial_fourier import PartialFourier
from sciddiff.operators.radon import Radon

OPERATORS: dict[str, type[Operator]] = {
    "identity": Identity,
    "mask": Mask,
    "blur": Blur,
    "downsample": Downsample,
    "partial_fourier": PartialFourier,
    "radon": Radon,
    "matrix": Matrix,
    "aggregate": Aggregate,
}


def get_operator(name: str, **kwargs: Any) -> Operator:
    """Build a registered operator by name, e.g. ``get_operator("radon", size=64, views=30)``."""
    if name not in OPERATORS:
        raise ValueError(f"unknown operator {name!r}; choose one of {sorted(OPERATORS)}")
    try:
        return OPERATORS[name](**kwargs)
    except TypeError as err:
        raise ValueError(f"bad arguments {sorted(kwargs)} for operator {name!r}: {err}") from None
