"""Shared plumbing for Gaussian noise with a covariance over the flattened observation (d = prod(event))."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence

from torch import Tensor

from sciddiff.operators.noise.base import GaussianNoiseModel, flat_dim


class FlatGaussian(GaussianNoiseModel):
    """A Gaussian whose covariance acts on the flattened observation of dimension ``dim``."""

    dim: int

    def validate(self, event_shape: Sequence[int]) -> None:
        if flat_dim(event_shape) != self.dim:
            raise ValueError(
                f"{self!r} has a covariance of size {self.dim}; observations of shape {tuple(event_shape)} have "
                f"{flat_dim(event_shape)} entries"
            )

    def _flat(self, r: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
        """Apply ``fn`` to r reshaped (B, d), then restore r's shape."""
        self.validate(tuple(r.shape[1:]))
        return fn(r.reshape(r.shape[0], self.dim)).reshape(r.shape)

    def dense(self, event_shape: Sequence[int] | None = None) -> Tensor:
        if event_shape is not None:
            self.validate(event_shape)
        return self._dense()

    @abstractmethod
    def _dense(self) -> Tensor:
        """The (d, d) covariance matrix."""
