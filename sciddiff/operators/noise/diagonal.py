"""Independent Gaussian noise: a scalar or per-entry standard deviation (diagonal covariance)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.noise.base import GaussianNoiseModel, check_finite


def _as_float(t: Tensor | float) -> Tensor:
    """A floating tensor; Python numbers and integer tensors become float64."""
    t = torch.as_tensor(t) if isinstance(t, Tensor) else torch.as_tensor(t, dtype=torch.float64)
    return t if t.is_floating_point() else t.to(torch.float64)


class DiagonalGaussian(GaussianNoiseModel):
    """n ~ N(0, diag(variances)), ``variances`` a number or a tensor broadcastable to the observation shape.

    Zero variances (noiseless entries) are allowed for sampling; solve, whiten and log_likelihood then refuse.
    ``shape`` optionally fixes the observation shape (needed by ``dense()`` for a scalar variance). ``kind`` is
    "scalar" when all variances are equal (isotropic noise, ``std`` then holds sigma_y), else "diagonal".
    """

    def __init__(self, variances: Tensor | float, shape: Sequence[int] | None = None) -> None:
        var = _as_float(variances)
        check_finite(var, "noise variance")
        if bool((var < 0).any()):
            raise ValueError(f"noise variances must be >= 0, got minimum {var.min().item():.4g}")
        self.variances = var
        self.std = var.sqrt()
        flat = var.reshape(-1)
        self.isotropic = flat.numel() <= 1 or bool((flat == flat[0]).all())
        self.shape = None if shape is None else tuple(int(s) for s in shape)
        self._positive = bool((var > 0).all())
        if self.shape is not None:
            self.validate(self.shape)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "scalar" if self.isotropic else "diagonal"

    def validate(self, event_shape: Sequence[int]) -> None:
        event_shape = tuple(int(s) for s in event_shape)
        try:
            ok = torch.broadcast_shapes(self.variances.shape, event_shape) == torch.Size(event_shape)
        except RuntimeError:
            ok = False
        if not ok:
            raise ValueError(
                f"noise of shape {tuple(self.variances.shape)} is not broadcastable to the observation shape "
                f"{event_shape}"
            )

    def _var(self, r: Tensor) -> Tensor:
        return self.variances.to(dtype=r.dtype, device=r.device)

    def _require_positive(self, what: str) -> None:
        if not self._positive:
            raise ValueError(f"{self!r} has zero variances (noiseless entries), so {what} does not exist")

    def cov_matvec(self, r: Tensor) -> Tensor:
        return self._var(r) * r

    def solve(self, r: Tensor) -> Tensor:
        self._require_positive("Sigma^-1")
        return r / self._var(r)

    def whiten(self, r: Tensor) -> Tensor:
        self._require_positive("L^-1")
        return r / self._var(r).sqrt()

    def unwhiten(self, e: Tensor) -> Tensor:
        return self._var(e).sqrt() * e

    def logdet(self, event_shape: Sequence[int]) -> Tensor:
        self._require_positive("log det Sigma")
        return torch.log(self.variances.to(torch.float64)).expand(tuple(event_shape)).sum()

    def _event_shape(self, event_shape: Sequence[int] | None) -> tuple[int, ...]:
        shape = event_shape if event_shape is not None else self.shape
        if shape is None:
            if self.variances.dim() == 0:
                raise ValueError(f"{self!r} has no observation shape; pass event_shape or build it with shape=")
            shape = tuple(self.variances.shape)
        return tuple(int(s) for s in shape)

    def dense(self, event_shape: Sequence[int] | None = None) -> Tensor:
        shape = self._event_shape(event_shape)
        self.validate(shape)
        return torch.diag(self.variances.to(torch.float64).expand(shape).reshape(-1))

    def __repr__(self) -> str:
        v = self.variances
        return f"DiagonalGaussian(variances={v.item():.4g})" if v.dim() == 0 else f"DiagonalGaussian({tuple(v.shape)})"


class GaussianNoise(DiagonalGaussian):
    """n = std * eps, eps ~ N(0, I): ``std`` a number (the usual sigma_y) or a tensor broadcastable to y."""

    def __init__(self, std: Tensor | float, shape: Sequence[int] | None = None) -> None:
        std = _as_float(std)
        check_finite(std, "noise std")
        if bool((std < 0).any()):
            raise ValueError(f"noise std must be >= 0, got minimum {std.min().item():.4g}")
        super().__init__(std**2, shape)
        self.std = std

    def unwhiten(self, e: Tensor) -> Tensor:
        return self.std.to(dtype=e.dtype, device=e.device) * e

    def __repr__(self) -> str:
        s = self.std
        return f"GaussianNoise(std={s.item():.4g})" if s.dim() == 0 else f"GaussianNoise(std of shape {tuple(s.shape)})"
