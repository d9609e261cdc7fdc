"""What a denoiser returns: the posterior mean E[x0 | x_t], optionally Cov[x0 | x_t] and categorical logits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor

from sciddiff.state import State


@runtime_checkable
class CovarianceOperator(Protocol):
    """Cov[x0 | x_t] as a per-sample linear operator on the flat view (B, D)."""

    def matvec(self, v: Tensor) -> Tensor:
        """Cov v for v of shape (B, D)."""
        ...


@dataclass(frozen=True)
class DenseCovariance:
    """An explicit (B, D, D) covariance."""

    matrix: Tensor

    def matvec(self, v: Tensor) -> Tensor:
        return torch.einsum("bij,bj->bi", self.matrix.to(v.dtype), v)

    def diagonal(self) -> Tensor:
        return torch.diagonal(self.matrix, dim1=-2, dim2=-1)


@dataclass(frozen=True)
class Prediction:
    """Denoiser output: ``mean`` (a state), optional ``covariance`` and per-leaf ``logits`` (float64).

    For categorical leaves ``logits[leaf]`` are x0-logits (B, *event, K) and ``mean`` holds only the continuous
    leaves (None when there are none); see :mod:`sciddiff.denoisers.categorical_output`.
    """

    mean: State | None
    covariance: CovarianceOperator | None = None
    logits: Mapping[str, Tensor] | None = None


Denoiser = Callable[..., Any]
"""Any callable ``(x_t, t, **cond) -> E[x0 | x_t]`` returning a state or a :class:`Prediction`; ``t`` is (B,)."""


def predict(denoiser: Denoiser, x_t: State, t: Tensor, **cond: Any) -> Prediction:
    """Call ``denoiser`` and wrap a bare state output into a :class:`Prediction`."""
    out = denoiser(x_t, t, **cond)
    return out if isinstance(out, Prediction) else Prediction(out)
